"""Introductions for both sides: ask, answer, record the outcome; a manager's interested
organisations (reverse suggestions). Every object is reached through the user's own
introductions or managed clusters: anything else is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clusters.models import Cluster
from matchmaking import introductions as intro
from matchmaking.forms import DeclineForm, IntroductionRequestForm, OutcomeForm
from matchmaking.models import Introduction, Organisation, Suggestion
from matchmaking.views.common import ReasonRenderer, organisation_required


def _get_introduction_for_user(request, pk) -> Introduction:
    """An introduction the user is a party to (its organisation, or a manager of its
    cluster), or 404."""
    return get_object_or_404(
        Introduction.objects.for_user(request.user).select_related(
            "organisation__user", "cluster__state", "interest"
        ),
        pk=pk,
    )


def _get_managed_cluster(request, slug) -> Cluster:
    return get_object_or_404(intro.managed_clusters(request.user), slug=slug)


def _side(introduction: Introduction, user) -> str:
    if introduction.organisation_id and introduction.organisation.user_id == user.pk:
        return Introduction.Direction.FROM_ORGANISATION
    return Introduction.Direction.FROM_CLUSTER


@require_safe
@never_cache
@login_required
def introductions(request):
    # Queries: session, user (2); the introductions with organisation, cluster, state and
    # interest joined (1); the clusters the user manages (1).
    rows = [
        {"introduction": item, "side": _side(item, request.user)}
        for item in Introduction.objects.for_user(request.user).for_list()
    ]
    context = {
        "rows": rows,
        "waiting": [
            row
            for row in rows
            if row["introduction"].is_open and row["side"] != row["introduction"].direction
        ],
        "managed": list(intro.managed_clusters(request.user)),
    }
    return render(request, "matchmaking/introductions/list.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@organisation_required
def request_introduction(request, slug, organisation):
    """From a suggestion card (``?suggestion=<pk>``, the organisation's own) or a cluster page."""
    cluster = get_object_or_404(Cluster.objects.published().select_related("state"), slug=slug)
    suggestions = Suggestion.objects.filter(
        interest__organisation=organisation, cluster=cluster
    ).select_related("interest")
    suggestion_id = request.POST.get("suggestion") or request.GET.get("suggestion")
    suggestion = None
    if suggestion_id:
        suggestion = suggestions.filter(
            pk=suggestion_id if str(suggestion_id).isdigit() else 0
        ).first()
    suggestion = suggestion or suggestions.order_by("-score").first()
    interest = suggestion.interest if suggestion else None
    existing = (
        Introduction.objects.filter(organisation=organisation, cluster=cluster).open().first()
    )
    if existing is not None:
        messages.info(request, _("Your request to this cluster is waiting for an answer."))
        return redirect(existing)
    form = IntroductionRequestForm(
        request.POST or None, initial={"kinds": list(interest.kinds) if interest else []}
    )
    if request.method == "POST" and form.is_valid():
        try:
            created = intro.request_introduction(
                organisation=organisation,
                cluster=cluster,
                requested_by=request.user,
                message=form.cleaned_data["message"],
                kinds=form.cleaned_data["kinds"],
                interest=interest,
            )
        except intro.IntroductionRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("Your request has been sent."))
            return redirect(created)
    context = {
        "form": form,
        "cluster": cluster,
        "suggestion": suggestion,
        "has_managers": intro.managers_of(cluster).exists(),
    }
    return render(request, "matchmaking/introductions/request.html", context)


@require_safe
@never_cache
@login_required
def introduction_detail(request, pk):
    introduction = _get_introduction_for_user(request, pk)
    side = intro.side_of(introduction, request.user)
    answering = introduction.is_open and side == intro.answering_side(introduction)
    context = {
        "introduction": introduction,
        "side": side,
        "answering": answering,
        "contacts": intro.contacts_for(introduction, side),
        "decline_form": DeclineForm() if answering else None,
        "outcome_form": OutcomeForm(initial={"outcome": introduction.outcome})
        if introduction.is_accepted
        else None,
    }
    return render(request, "matchmaking/introductions/detail.html", context)


def _change(request, pk, change, *, done: str, form_class=None, then=None):
    """Apply ``change`` (a service taking ``introduction``, ``user`` and the form's cleaned
    data) to the user's introduction ``pk``; a refused change or a bad form is a message on
    the introduction's page, never a 500."""
    introduction = _get_introduction_for_user(request, pk)
    data = {}
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            messages.error(request, next(iter(form.errors.values()))[0])
            return redirect(introduction)
        data = form.cleaned_data
    try:
        change(introduction=introduction, user=request.user, **data)
    except intro.IntroductionRefused as refused:
        messages.error(request, str(refused))
        return redirect(introduction)
    messages.success(request, done)
    return redirect(then or introduction)


@require_POST
@login_required
def introduction_accept(request, pk):
    done = _("Accepted: you can now see each other's contact details.")
    return _change(request, pk, intro.accept, done=done)


@require_POST
@login_required
def introduction_decline(request, pk):
    done = _("Declined. The other side has been told.")
    return _change(request, pk, intro.decline, done=done, form_class=DeclineForm)


@require_POST
@login_required
def introduction_spam(request, pk):
    done = _("Reported as spam: the programme team will look at it.")
    return _change(request, pk, intro.report_spam, done=done, then="matchmaking:introductions")


@require_POST
@login_required
def introduction_outcome(request, pk):
    done = _("Thank you: the outcome is recorded.")
    return _change(request, pk, intro.record_outcome, done=done, form_class=OutcomeForm)


@require_safe
@never_cache
@login_required
def introduction_link(request, token):
    """The signed, expiring link in the emails: to the request, for a party to it only."""
    try:
        pk = intro.read_link_token(token)
    except signing.BadSignature:
        return render(request, "matchmaking/introductions/link_failed.html", status=400)
    return redirect(_get_introduction_for_user(request, pk))


# --- Reverse suggestions: a manager's view -------------------------------------------------


@require_safe
@never_cache
@login_required
def cluster_organisations(request, slug):
    cluster = _get_managed_cluster(request, slug)
    visible, counts, hidden_total = intro.interested_organisations(cluster)
    latest = {
        item.organisation_id: item
        for item in Introduction.objects.filter(
            cluster=cluster, organisation__in=[s.interest.organisation_id for s in visible]
        ).order_by("created")
    }
    renderer = ReasonRenderer()
    rows = [
        {
            "suggestion": suggestion,
            "organisation": suggestion.interest.organisation,
            "reasons": renderer.items(suggestion.reasons),
            "introduction": latest.get(suggestion.interest.organisation_id),
        }
        for suggestion in visible
    ]
    context = {"cluster": cluster, "rows": rows, "counts": counts, "hidden_total": hidden_total}
    return render(request, "matchmaking/introductions/organisations.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@login_required
def introduce_organisation(request, slug, pk):
    """A manager asks to be introduced to a visible organisation whose interest ranks the
    cluster; any other organisation is a 404."""
    cluster = _get_managed_cluster(request, slug)
    suggestion = intro.visible_suggestion(cluster, pk)
    if suggestion is None:
        raise Http404("not a visible organisation interested in this cluster")
    organisation: Organisation = suggestion.interest.organisation
    existing = (
        Introduction.objects.filter(organisation=organisation, cluster=cluster).open().first()
    )
    if existing is not None:
        messages.info(request, _("An introduction between you is already waiting for an answer."))
        return redirect(existing)
    form = IntroductionRequestForm(
        request.POST or None, initial={"kinds": list(suggestion.interest.kinds)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            created = intro.request_introduction(
                organisation=organisation,
                cluster=cluster,
                requested_by=request.user,
                message=form.cleaned_data["message"],
                kinds=form.cleaned_data["kinds"],
                interest=suggestion.interest,
                direction=Introduction.Direction.FROM_CLUSTER,
            )
        except intro.IntroductionRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("Your request has been sent."))
            return redirect(created)
    context = {"form": form, "cluster": cluster, "organisation": organisation}
    return render(request, "matchmaking/introductions/introduce.html", context)
