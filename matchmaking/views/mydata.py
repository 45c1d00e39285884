"""What we hold about an organisation: see it, edit its profile, download it, delete it;
email preferences."""

from dataclasses import asdict

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db.models import Prefetch
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clusters import claims
from matchmaking import services
from matchmaking.forms import DeleteAccountForm, NotificationForm, OrganisationProfileForm
from matchmaking.introductions import contacts_for, managed_clusters
from matchmaking.models import PRIVACY_NOTICE_VERSION, Introduction, Organisation, Suggestion
from matchmaking.notifications import UNSUBSCRIBE_SALT
from matchmaking.views.common import ReasonRenderer, get_organisation, organisation_required


def export_introduction(introduction: Introduction, side: str) -> dict:
    """One introduction as ``side`` may see it: the other side's contact details only once
    accepted (``contacts_for``); an organisation that has left is a tombstone."""
    organisation = introduction.organisation
    return {
        "id": introduction.pk,
        "cluster": {"slug": introduction.cluster.slug, "name": introduction.cluster.name},
        "organisation": organisation.name if organisation else None,
        "asked_by": introduction.direction,
        "status": introduction.status,
        "message": introduction.message,
        "kinds": list(introduction.kinds),
        "created": introduction.created,
        "expires_at": introduction.expires_at,
        "answered_at": introduction.answered_at,
        "decline_reason": introduction.decline_reason,
        "outcome": introduction.outcome,
        "outcome_at": introduction.outcome_at,
        "contacts": [asdict(contact) for contact in contacts_for(introduction, side)],
    }


def build_export(organisation: Organisation | None, renderer: ReasonRenderer, user=None) -> dict:
    """Everything held about ``organisation`` (or about ``user``, a cluster manager without
    one), as plain JSON-ready data."""
    user = organisation.user if organisation else user
    account = {
        "exported_at": timezone.now(),
        "account": {
            "email": user.email,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
        },
        "cluster_claims": claims.export_claims(user),
        # The requests to and from the clusters the user manages, as a manager sees them.
        "introductions_as_cluster_manager": [
            export_introduction(introduction, Introduction.Direction.FROM_CLUSTER)
            for introduction in Introduction.objects.filter(cluster__in=managed_clusters(user))
            .select_related("cluster", "organisation")
            .order_by("created", "pk")
        ],
    }
    if organisation is None:
        return account
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
    return account | {
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
            "contact_name": organisation.contact_name,
            "phone": organisation.phone,
            "visible_to_clusters": organisation.visible_to_clusters,
        },
        "introductions": [
            export_introduction(introduction, Introduction.Direction.FROM_ORGANISATION)
            for introduction in organisation.introductions.select_related(
                "cluster", "organisation"
            ).order_by("created", "pk")
        ],
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
@login_required
def my_data(request):
    organisation = get_organisation(request)  # None for a cluster manager
    context = {
        "organisation": organisation,
        "interest_count": organisation.interests.count() if organisation else 0,
        "claim_count": request.user.cluster_claims.count(),
        "notification_form": NotificationForm(
            initial={
                "notify_by_email": organisation.notify_by_email,
                "language": organisation.language,
            }
        )
        if organisation
        else None,
        "delete_form": DeleteAccountForm(user=request.user),
        "current_version": PRIVACY_NOTICE_VERSION,
    }
    return render(request, "matchmaking/my_data.html", context)


@require_safe
@never_cache
@login_required
def export_data(request):
    data = build_export(get_organisation(request), ReasonRenderer(), user=request.user)
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
def organisation_profile(request, organisation):
    """Name, website, description, contact person, phone, visibility to claimed clusters."""
    form = OrganisationProfileForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your organisation's profile is saved."))
        return redirect("matchmaking:organisation_profile")
    return render(request, "matchmaking/profile.html", {"form": form, "organisation": organisation})


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@login_required
def delete_account(request):
    organisation = get_organisation(request)  # None for a cluster manager
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
