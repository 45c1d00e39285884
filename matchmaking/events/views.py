"""The participants' pages: events, registration, the participant list with scores,
requests and answers, agendas (HTML and iCalendar), feedback."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from clusters.models import Claim, Cluster
from matchmaking.events import agenda, services
from matchmaking.events.filters import ParticipantFilter
from matchmaking.events.forms import AcceptForm, FeedbackForm, RegistrationForm, RequestForm
from matchmaking.events.models import Event, MeetingRequest, MeetingSeat, Participant
from matchmaking.events.scoring import scores_for
from matchmaking.views.common import ReasonRenderer, get_organisation


def _mine(request, event: Event) -> list[Participant]:
    """The user's participations in ``event`` (their organisation's, their clusters')."""
    if not request.user.is_authenticated:
        return []
    return list(
        Participant.objects.for_user(request.user)
        .filter(event=event)
        .select_related("organisation", "cluster")
    )


def _get_participant_for_user(request, pk) -> Participant:
    """A participation of the user (or any, for staff), else 404."""
    queryset = Participant.objects.select_related("event", "organisation", "cluster")
    if not request.user.is_staff:
        queryset = queryset.for_user(request.user)
    return get_object_or_404(queryset, pk=pk)


@require_safe
def event_list(request):
    events = Event.objects.order_by("-registration_deadline")
    return render(request, "events/event_list.html", {"events": events})


@require_safe
def event_detail(request, pk):
    event = get_object_or_404(Event, pk=pk)
    mine = _mine(request, event)
    viewer = next(iter(mine), None)
    if viewer and request.GET.get("as"):
        viewer = next((p for p in mine if str(p.pk) == request.GET["as"]), viewer)
    show_list = event.participants_published or request.user.is_staff or viewer is not None
    rows = []
    participants_filter = ParticipantFilter(
        request.GET, queryset=Participant.objects.filter(event=event).for_list()
    )
    if show_list:
        others = [p for p in participants_filter.qs if not viewer or p.pk != viewer.pk]
        scores = scores_for(viewer, others, ReasonRenderer()) if viewer else {}
        asked = set()
        if viewer:
            asked = set(
                MeetingRequest.objects.filter(sender=viewer).values_list("receiver_id", flat=True)
            ) | set(
                MeetingRequest.objects.filter(receiver=viewer).values_list("sender_id", flat=True)
            )
        for other in others:
            score, reasons = scores.get(other.pk, (None, ()))
            rows.append(
                {
                    "participant": other,
                    "score": score,
                    "reasons": reasons,
                    "asked": other.pk in asked,
                }
            )
        rows.sort(
            key=lambda row: (row["score"] is None, -(row["score"] or 0), row["participant"].name)
        )
    context = {
        "event": event,
        "mine": mine,
        "viewer": viewer,
        "show_list": show_list,
        "rows": rows,
        "filter": participants_filter,
        "request_form": RequestForm(),
        "can_register": bool(_identities(request, event)),
    }
    return render(request, "events/event_detail.html", context)


def _identities(request, event: Event) -> list[tuple[str, str]]:
    """Who the user may register as for ``event``: their organisation, clusters they manage."""
    if not request.user.is_authenticated or not event.registration_open():
        return []
    registered = Participant.objects.filter(event=event)
    choices = []
    organisation = get_organisation(request)
    if (
        organisation
        and event.accepts(is_cluster=False)
        and not registered.filter(organisation=organisation).exists()
    ):
        choices.append(("organisation", organisation.name))
    if event.accepts(is_cluster=True):
        managed = Claim.objects.approved().filter(user=request.user).values("cluster_id")
        for cluster in Cluster.objects.filter(pk__in=managed).exclude(participations__event=event):
            choices.append((f"cluster:{cluster.pk}", cluster.name))
    return choices


@login_required
def register(request, pk):
    event = get_object_or_404(Event, pk=pk)
    identities = _identities(request, event)
    if not identities:
        raise Http404("Registration closed or nothing to register.")
    form = RegistrationForm(request.POST or None, event=event, identities=identities)
    if request.method == "POST" and form.is_valid():
        identity = form.cleaned_data["identity"]
        who = (
            {"organisation": get_organisation(request)}
            if identity == "organisation"
            else {"cluster": Cluster.objects.get(pk=identity.split(":")[1])}
        )
        try:
            participant = services.register(
                event=event, blocks=form.cleaned_data["blocks"],
                max_meetings=form.cleaned_data["max_meetings"], by=request.user, **who,
            )  # fmt: skip
        except IntegrityError:
            messages.error(request, _("Already registered."))
            return redirect(event)
        messages.success(request, _("You are registered for %(event)s.") % {"event": event.name})
        return redirect("events:my_event", participant.pk)
    return render(request, "events/register.html", {"event": event, "form": form})


@require_POST
@login_required
def send_request(request, pk, receiver_pk):
    """``pk``: the user's participation sending the request."""
    sender = _get_participant_for_user(request, pk)
    receiver = get_object_or_404(Participant, pk=receiver_pk, event=sender.event)
    form = RequestForm(request.POST)
    if receiver.pk == sender.pk or not form.is_valid():
        messages.error(request, _("The request could not be sent."))
        return redirect(sender.event)
    try:
        services.send_request(
            sender=sender, receiver=receiver, message=form.cleaned_data["message"]
        )
    except IntegrityError:
        messages.error(request, _("You have asked for this meeting already."))
        return redirect(sender.event)
    messages.success(request, _("Request sent to %(name)s.") % {"name": receiver.name})
    return redirect("events:my_event", sender.pk)


@login_required
def my_event(request, pk):
    """A participation's requests (to answer, sent) and its agenda link."""
    participant = _get_participant_for_user(request, pk)
    incoming = participant.received_requests.select_related(
        "sender__organisation", "sender__cluster"
    ).order_by("-created")
    outgoing = participant.sent_requests.select_related(
        "receiver__organisation", "receiver__cluster"
    ).order_by("-created")
    context = {
        "participant": participant,
        "event": participant.event,
        "incoming": incoming,
        "outgoing": outgoing,
    }
    return render(request, "events/my_event.html", context)


@login_required
def answer(request, pk):
    """The receiver accepts (choosing a slot in participants mode) or declines."""
    meeting_request = get_object_or_404(
        MeetingRequest.objects.select_related("event", "sender__organisation", "sender__cluster"),
        pk=pk,
        receiver__in=Participant.objects.for_user(request.user),
        status=MeetingRequest.Status.PENDING,
    )
    event = meeting_request.event
    choose_slot = event.scheduling == Event.Scheduling.PARTICIPANTS
    slots = services.common_free_slots(meeting_request) if choose_slot else []
    form = (
        AcceptForm(
            request.POST or None,
            slots=event.slots.filter(pk__in=[s.pk for s in slots]),
            event=event,
        )
        if choose_slot
        else None
    )
    if request.method == "POST":
        if request.POST.get("decision") == "decline":
            services.decide(request=meeting_request, accept=False)
            messages.success(request, _("Request declined."))
            return redirect("events:my_event", meeting_request.receiver_id)
        if form is None or form.is_valid():
            try:
                services.decide(
                    request=meeting_request,
                    accept=True,
                    slot=form.cleaned_data["slot"] if form else None,
                )
            except services.SlotTaken:
                messages.error(request, _("That time was taken meanwhile: choose another."))
                return redirect("events:answer", meeting_request.pk)
            messages.success(request, _("Meeting accepted."))
            return redirect("events:my_event", meeting_request.receiver_id)
    return render(
        request,
        "events/answer.html",
        {
            "meeting_request": meeting_request,
            "form": form,
            "event": event,
            "no_slot": choose_slot and not slots,
        },
    )


@login_required
@require_safe
def agenda_page(request, pk):
    participant = _get_participant_for_user(request, pk)
    seats = list(agenda.seats_for(participant))
    zone = participant.event.zone
    rows = [
        {
            "seat": seat,
            "other": agenda.other_side(seat),
            "start": timezone.localtime(seat.slot.starts_at, zone),
            "end": timezone.localtime(seat.slot.ends_at, zone),
            "past": seat.slot.ends_at < timezone.now(),
        }
        for seat in seats
    ]
    context = {
        "participant": participant,
        "event": participant.event,
        "rows": rows,
        "feed_url": request.build_absolute_uri(agenda.feed_url(participant)),
        "feedback_form": FeedbackForm(),
    }
    return render(request, "events/agenda.html", context)


def _ics_response(participant: Participant) -> HttpResponse:
    body = agenda.ics(participant.event, participant, agenda.seats_for(participant))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="agenda-{participant.event_id}-{participant.pk}.ics"'
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_safe
def agenda_ics(request, pk):
    return _ics_response(_get_participant_for_user(request, pk))


@require_safe
def agenda_feed(request, token):
    """The agenda for calendar apps, by its signed URL (no log-in)."""
    pk = agenda.participant_from_token(token)
    participant = get_object_or_404(
        Participant.objects.select_related("event", "organisation", "cluster"), pk=pk or 0
    )
    return _ics_response(participant)


@require_POST
@login_required
def feedback(request, seat_pk):
    seat = get_object_or_404(
        MeetingSeat.objects.select_related("slot"),
        pk=seat_pk,
        participant__in=Participant.objects.for_user(request.user),
    )
    form = FeedbackForm(request.POST)
    if seat.slot.ends_at > timezone.now():
        messages.error(request, _("Feedback opens once the meeting is over."))
    elif form.is_valid():
        services.record_feedback(seat=seat, **form.cleaned_data)
        messages.success(request, _("Thank you for your feedback."))
    else:
        messages.error(request, _("Answer both questions."))
    return redirect("events:agenda", seat.participant_id)
