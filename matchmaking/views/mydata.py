"""What we hold about an organisation: see it, download it, delete it; email preferences."""

from django.contrib import messages
from django.contrib.auth import logout
from django.core import signing
from django.db.models import Prefetch
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from matchmaking import services
from matchmaking.forms import DeleteAccountForm, NotificationForm
from matchmaking.models import PRIVACY_NOTICE_VERSION, Organisation, Suggestion
from matchmaking.notifications import UNSUBSCRIBE_SALT
from matchmaking.views.common import ReasonRenderer, organisation_required


def build_export(organisation: Organisation, renderer: ReasonRenderer) -> dict:
    """Everything held about ``organisation``, as plain JSON-ready data."""
    user = organisation.user
    interests = organisation.interests.order_by("created", "pk").prefetch_related(
        "sectors",
        "states",
        Prefetch(
            "suggestions",
            queryset=Suggestion.objects.select_related("cluster").order_by(
                "-score", "cluster__name"
            ),
        ),
    )
    return {
        "exported_at": timezone.now(),
        "account": {
            "email": user.email,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
        },
        "organisation": {
            "name": organisation.name,
            "country": organisation.country,
            "kind": organisation.kind,
            "website": organisation.website,
            "description": organisation.description,
            "created": organisation.created,
            "consent_at": organisation.consent_at,
            "consent_version": organisation.consent_version,
            "email_verified_at": organisation.email_verified_at,
            "notify_by_email": organisation.notify_by_email,
            "language": organisation.language,
        },
        "interests": [
            {
                "id": interest.pk,
                "title": interest.title,
                "sectors": [
                    {"slug": sector.slug, "name": sector.name} for sector in interest.sectors.all()
                ],
                "states": [
                    {"code": state.code, "name": state.name} for state in interest.states.all()
                ],
                "kinds": list(interest.kinds),
                "description": interest.description,
                "is_active": interest.is_active,
                "created": interest.created,
                "changed_at": interest.changed_at,
                "matched_at": interest.matched_at,
                "suggestions": [
                    {
                        "cluster": {
                            "slug": suggestion.cluster.slug,
                            "name": suggestion.cluster.name,
                        },
                        "score": suggestion.score,
                        "reasons": renderer.items(suggestion.reasons),
                        "status": suggestion.status,
                        "status_changed_at": suggestion.status_changed_at,
                        "merged_from": suggestion.merged_from,
                        "is_current": suggestion.is_current,
                        "engine_version": suggestion.engine_version,
                        "computed_at": suggestion.computed_at,
                    }
                    for suggestion in interest.suggestions.all()
                ],
            }
            for interest in interests
        ],
    }


@require_safe
@never_cache
@organisation_required
def my_data(request, organisation):
    context = {
        "organisation": organisation,
        "interest_count": organisation.interests.count(),
        "notification_form": NotificationForm(
            initial={
                "notify_by_email": organisation.notify_by_email,
                "language": organisation.language,
            }
        ),
        "delete_form": DeleteAccountForm(user=request.user),
        "current_version": PRIVACY_NOTICE_VERSION,
    }
    return render(request, "matchmaking/my_data.html", context)


@require_safe
@never_cache
@organisation_required
def export_data(request, organisation):
    data = build_export(organisation, ReasonRenderer())
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    filename = f"my-data-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_POST
@organisation_required
def notifications(request, organisation):
    form = NotificationForm(request.POST)
    form.is_valid()  # a missing or unknown language is left out (unchanged); the box is kept
    enabled = form.cleaned_data.get("notify_by_email", False)
    language = form.cleaned_data.get("language") or None
    services.set_notifications(organisation=organisation, enabled=enabled, language=language)
    if enabled:
        messages.success(request, _("We will email you when new suggestions arrive."))
    else:
        messages.success(request, _("We will not email you about new suggestions."))
    return redirect("matchmaking:my_data")


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@organisation_required
def delete_account(request, organisation):
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.delete_account(user=request.user)
        logout(request)
        messages.success(request, _("Your account and all its data have been deleted."))
        return redirect("clusters:cluster_list")
    return render(
        request, "matchmaking/delete_account.html", {"form": form, "organisation": organisation}
    )


@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    """From the digest email: no login needed, the signed token names the organisation."""
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        pk = None
    organisation = Organisation.objects.filter(pk=pk).first() if isinstance(pk, int) else None
    if organisation is None:
        return render(request, "matchmaking/unsubscribe_failed.html", status=400)
    done = False
    if request.method == "POST":
        services.set_notifications(organisation=organisation, enabled=False)
        done = True
    context = {"organisation": organisation, "done": done}
    return render(request, "matchmaking/unsubscribe.html", context)
