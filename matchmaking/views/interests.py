"""Creating, editing, pausing and deleting interests; marking suggestions."""

from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from matchmaking import services
from matchmaking.forms import InterestForm, MarkForm
from matchmaking.introductions import latest_by_cluster
from matchmaking.models import Suggestion
from matchmaking.views.common import (
    ReasonRenderer,
    _get_interest_for_user,
    _get_suggestion_for_user,
    organisation_required,
    safe_next,
)
from matchmaking.views.dashboard import interests_for_dashboard, make_card


def _save(form, organisation, interest=None):
    data = form.cleaned_data
    return services.save_interest(
        organisation=organisation,
        interest=interest,
        title=data["title"],
        sectors=data["sectors"],
        states=data["states"],
        kinds=data["kinds"],
        description=data["description"],
    )


@require_http_methods(["GET", "HEAD", "POST"])
@organisation_required
def interest_new(request, organisation):
    # Started from a match preview ("Sign up to keep these"): its choices fill the form in.
    form = InterestForm(
        request.POST or None, initial=InterestForm.initial_from_preview(request.GET)
    )
    if request.method == "POST" and form.is_valid():
        interest = _save(form, organisation)
        messages.success(
            request,
            _("Saved. Suggestions are computed in the background; they appear here when ready."),
        )
        return redirect(interest)
    return render(request, "matchmaking/interest_form.html", {"form": form, "interest": None})


@require_http_methods(["GET", "HEAD", "POST"])
@organisation_required
def interest_edit(request, pk, organisation):
    interest = _get_interest_for_user(request, pk)
    if request.method == "POST":
        form = InterestForm(request.POST)
        if form.is_valid():
            _save(form, organisation, interest)
            messages.success(request, _("Saved. Your suggestions are being recomputed."))
            return redirect(interest)
    else:
        form = InterestForm(initial=InterestForm.initial_for(interest))
    return render(request, "matchmaking/interest_form.html", {"form": form, "interest": interest})


@require_safe
@never_cache
@organisation_required
def interest_detail(request, pk, organisation):
    interest = _get_interest_for_user(request, pk, queryset=interests_for_dashboard(organisation))
    renderer = ReasonRenderer()
    dismissed = list(
        interest.suggestions.filter(status=Suggestion.Status.NOT_RELEVANT)
        .select_related("cluster")
        .order_by("cluster__name")
    )
    context = {
        "card": make_card(interest, renderer, latest_by_cluster(organisation)),
        "interest": interest,
        "dismissed": dismissed,
        "computing": interest.is_computing,
    }
    return render(request, "matchmaking/interest_detail.html", context)


@require_POST
@organisation_required
def interest_pause(request, pk, organisation):
    """Toggle: an active interest is paused (no scoring), a paused one resumes and re-scores."""
    interest = _get_interest_for_user(request, pk)
    services.set_interest_active(interest=interest, active=not interest.is_active)
    if interest.is_active:
        messages.success(request, _("Resumed. Your suggestions are being recomputed."))
    else:
        messages.success(request, _("Paused. We will not look for new suggestions for it."))
    return redirect(safe_next(request, interest.get_absolute_url()))


@require_http_methods(["GET", "HEAD", "POST"])
@organisation_required
def interest_delete(request, pk, organisation):
    interest = _get_interest_for_user(request, pk)
    if request.method == "POST":
        title = interest.title
        interest.delete()
        messages.success(request, _("Deleted “%(title)s” and its suggestions.") % {"title": title})
        return redirect("matchmaking:dashboard")
    return render(request, "matchmaking/interest_confirm_delete.html", {"interest": interest})


@require_POST
@organisation_required
def mark_suggestion(request, pk, organisation):
    suggestion = _get_suggestion_for_user(request, pk)
    form = MarkForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Unknown status."))
    status = form.cleaned_data["status"]
    services.mark_suggestion(suggestion=suggestion, status=status)
    if status == Suggestion.Status.NOT_RELEVANT:
        messages.success(
            request,
            _("Marked “%(cluster)s” not relevant: it will not be suggested again.")
            % {"cluster": suggestion.cluster.name},
        )
    elif status == Suggestion.Status.INTERESTED:
        # Shown in the card itself (_suggestion.html), beside the buttons just pressed.
        messages.success(
            request,
            _("Marked “%(cluster)s” interesting: the programme team will be in touch about an "
              "introduction.") % {"cluster": suggestion.cluster.name},
            extra_tags=f"card-{suggestion.pk}",
        )  # fmt: skip
    default = reverse("matchmaking:dashboard") + f"#interest-{suggestion.interest_id}"
    return redirect(safe_next(request, default))
