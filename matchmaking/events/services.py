"""Flows that touch several event models: set-up, registration, requests, booking,
scheduling results, moves, feedback. Every booking locks the event's row first (so bookings
of one event queue behind each other) and relies on the database's unique constraints
(``events_seat_unique_participant_slot``, ``events_meeting_unique_slot_table``) as the
guarantee: a double booking fails to insert, whatever the order of events."""

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from matchmaking.enqueue import enqueue_on_commit
from matchmaking.events import scheduler
from matchmaking.events.models import (
    Event,
    EventDay,
    Meeting,
    MeetingBlock,
    MeetingRequest,
    MeetingSeat,
    Participant,
    SchedulerRun,
    Slot,
    Table,
)
from matchmaking.models import Introduction, Suggestion


class SlotTaken(Exception):
    """The slot (or table) is no longer free: someone booked it meanwhile."""


# --- Set-up --------------------------------------------------------------------------------


def create_event(
    *, dates: list[dt.date], start: dt.time, end: dt.time, slot_minutes: int, breaks: str,
    tables: list[str], **fields,
) -> Event:  # fmt: skip
    """An event with one meeting block per day, its slots and its tables."""
    with transaction.atomic():
        event = Event.objects.create(**fields)
        for date in dates:
            day = EventDay.objects.create(event=event, date=date)
            MeetingBlock.objects.create(
                day=day, start=start, end=end, slot_minutes=slot_minutes, breaks=breaks
            )
        Table.objects.bulk_create(
            Table(event=event, name=name, position=n) for n, name in enumerate(tables)
        )
        make_slots(event)
    return event


def table_names(text: str) -> list[str]:
    """ "12" -> Table 1..12; "Sala A, Sala B" -> those names."""
    text = text.strip()
    if text.isdigit():
        return [f"{n}" for n in range(1, int(text) + 1)]
    return [name.strip() for name in text.split(",") if name.strip()]


def make_slots(event: Event) -> int:
    """Create the slots of every block that has none yet; returns how many were made."""
    made = 0
    for block in MeetingBlock.objects.filter(day__event=event).select_related("day__event"):
        if block.slots.exists():
            continue
        Slot.objects.bulk_create(
            Slot(event=event, block=block, starts_at=start, ends_at=end)
            for start, end in block.slot_times()
        )
        made += 1
    return made


# --- Registration and requests ----------------------------------------------------------


def register(
    *, event: Event, blocks, max_meetings: int, organisation=None, cluster=None, by=None,
    contact_email: str = "",
) -> Participant:  # fmt: skip
    participant = Participant.objects.create(
        event=event,
        organisation=organisation,
        cluster=cluster,
        max_meetings=max_meetings,
        registered_by=by,
        contact_email=contact_email,
    )
    participant.blocks.set(blocks)
    return participant


def send_request(
    *, sender: Participant, receiver: Participant, message: str = ""
) -> MeetingRequest:
    """A request from ``sender``; when ``receiver`` asked ``sender`` already, that request is
    accepted as mutual instead. Automatic-acceptance events accept at once (organisers
    schedule them; in participants mode the receiver still picks the slot)."""
    from matchmaking.events.scoring import pair_score

    event = sender.event
    with transaction.atomic():
        reverse = (
            MeetingRequest.objects.select_for_update()
            .filter(sender=receiver, receiver=sender, status=MeetingRequest.Status.PENDING)
            .first()
        )
        if reverse is not None:
            reverse.is_mutual = True
            reverse.status = MeetingRequest.Status.ACCEPTED
            reverse.decided_at = timezone.now()
            reverse.save(update_fields=["is_mutual", "status", "decided_at"])
            return reverse
        automatic = event.request_mode == Event.Requests.AUTOMATIC
        return MeetingRequest.objects.create(
            event=event,
            sender=sender,
            receiver=receiver,
            message=message,
            score=pair_score(sender, receiver),
            status=MeetingRequest.Status.ACCEPTED if automatic else MeetingRequest.Status.PENDING,
            decided_at=timezone.now() if automatic else None,
            expires_at=timezone.now() + dt.timedelta(hours=settings.EVENTS_REQUEST_EXPIRY_HOURS),
        )


def decide(*, request: MeetingRequest, accept: bool, slot: Slot | None = None) -> Meeting | None:
    """The receiver's answer. In participants mode an acceptance books ``slot`` (a common
    free one) at a free table; raises ``SlotTaken`` if it went meanwhile."""
    with transaction.atomic():
        request = MeetingRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != MeetingRequest.Status.PENDING:
            return None
        request.status = (
            MeetingRequest.Status.ACCEPTED if accept else MeetingRequest.Status.DECLINED
        )
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "decided_at"])
        if accept and slot is not None:
            return book(request=request, slot=slot, source=Meeting.Source.PARTICIPANTS)
    return None


def expire_requests() -> int:
    return MeetingRequest.objects.filter(
        status=MeetingRequest.Status.PENDING, expires_at__lt=timezone.now()
    ).update(status=MeetingRequest.Status.EXPIRED)


def common_free_slots(request: MeetingRequest) -> list[Slot]:
    """Slots both sides attend, where neither has a meeting and a table is free."""
    event = request.event
    sides = [request.sender_id, request.receiver_id]
    attended = [
        set(Slot.objects.filter(block__participants=pid).values_list("pk", flat=True))
        for pid in sides
    ]
    busy = set(MeetingSeat.objects.filter(participant__in=sides).values_list("slot_id", flat=True))
    tables = event.tables.count()
    full = {slot for slot, used in _meetings_per_slot(event).items() if used >= tables}
    ids = (attended[0] & attended[1]) - busy - full
    return list(Slot.objects.filter(pk__in=ids).order_by("starts_at"))


def _meetings_per_slot(event: Event) -> dict[int, int]:
    counts = defaultdict(int)
    for slot_id in Meeting.objects.filter(event=event).values_list("slot_id", flat=True):
        counts[slot_id] += 1
    return counts


# --- Booking ---------------------------------------------------------------------------


def _lock_event(event_id: int) -> Event:
    return Event.objects.select_for_update().get(pk=event_id)


def book(
    *, request: MeetingRequest, slot: Slot, table: Table | None = None, source: str,
    pinned: bool = False,
) -> Meeting:  # fmt: skip
    """A meeting for an accepted request at ``slot`` (and ``table``, else the first free one).
    Raises ``SlotTaken`` when a side or the table is busy then."""
    with transaction.atomic():
        _lock_event(request.event_id)
        if table is None:
            used = Meeting.objects.filter(slot=slot).values("table_id")
            table = Table.objects.filter(event_id=request.event_id).exclude(pk__in=used).first()
            if table is None:
                raise SlotTaken
        try:
            with transaction.atomic():
                meeting = Meeting.objects.create(
                    event_id=request.event_id, request=request, slot=slot, table=table,
                    source=source, pinned=pinned,
                )  # fmt: skip
                MeetingSeat.objects.bulk_create(
                    MeetingSeat(
                        meeting=meeting, participant_id=pid, event_id=request.event_id, slot=slot
                    )
                    for pid in (request.sender_id, request.receiver_id)
                )
        except IntegrityError as exc:
            raise SlotTaken from exc
    notify_change(meeting.pk)
    return meeting


def move(*, meeting: Meeting, slot: Slot, table: Table, pinned: bool = True) -> Meeting:
    """Staff move a meeting (and pin it, by default); ``SlotTaken`` if it cannot go there."""
    with transaction.atomic():
        _lock_event(meeting.event_id)
        try:
            with transaction.atomic():
                Meeting.objects.filter(pk=meeting.pk).update(slot=slot, table=table, pinned=pinned)
                MeetingSeat.objects.filter(meeting=meeting).update(slot=slot)
        except IntegrityError as exc:
            raise SlotTaken from exc
    notify_change(meeting.pk)
    meeting.refresh_from_db()
    return meeting


def notify_change(meeting_id: int) -> None:
    from matchmaking.events.tasks import send_agenda_change

    enqueue_on_commit(send_agenda_change, meeting_id)


# --- The scheduler's input and output ------------------------------------------------------


def read_problem(event: Event) -> scheduler.Problem:
    """The event as plain data: its slots, tables, participants, accepted requests and the
    meetings a run keeps (pinned, or chosen by the participants)."""
    slots = list(
        Slot.objects.filter(event=event).select_related("block__day").order_by("starts_at")
    )
    slot_ids = {slot.block_id: [] for slot in slots}
    for slot in slots:
        slot_ids[slot.block_id].append(slot.pk)
    people = {}
    participants = Participant.objects.filter(event=event).prefetch_related("blocks")
    for participant in participants:
        attended = frozenset(
            slot for block in participant.blocks.all() for slot in slot_ids.get(block.pk, ())
        )
        people[participant.pk] = scheduler.Person(
            participant.pk, attended, participant.max_meetings
        )
    fixed = [
        scheduler.Fixed(
            m.request_id, m.request.sender_id, m.request.receiver_id, m.slot_id, m.table_id
        )
        for m in Meeting.objects.filter(event=event)
        .filter(Q(pinned=True) | Q(source=Meeting.Source.PARTICIPANTS))
        .select_related("request")
    ]
    requests = tuple(
        scheduler.Request(r.pk, r.sender_id, r.receiver_id, r.is_mutual, r.score)
        for r in MeetingRequest.objects.filter(event=event, status=MeetingRequest.Status.ACCEPTED)
    )
    return scheduler.Problem(
        slots=tuple(scheduler.Slot(slot.pk, slot.block.day_id) for slot in slots),
        tables=tuple(Table.objects.filter(event=event).values_list("pk", flat=True)),
        people=people,
        requests=requests,
        fixed=tuple(fixed),
    )


BOOKED_MEANWHILE = "booked_meanwhile"  # a participant or staff took the slot during the run


def write_schedule(*, run: SchedulerRun, schedule: scheduler.Schedule) -> None:
    """Replace the event's movable meetings by ``schedule``'s. Meetings made meanwhile (a
    participant accepting, staff pinning) win: an assignment clashing with one is left out
    with the reason ``booked_meanwhile``; the constraints would refuse it anyway."""
    with transaction.atomic():
        event = _lock_event(run.event_id)
        Meeting.objects.filter(event=event, pinned=False).exclude(
            source=Meeting.Source.PARTICIPANTS
        ).delete()
        kept = list(Meeting.objects.filter(event=event).select_related("request"))
        busy = {
            (seat_slot, pid)
            for seat_slot, pid in MeetingSeat.objects.filter(event=event).values_list(
                "slot_id", "participant_id"
            )
        }
        tables = {(m.slot_id, m.table_id) for m in kept}
        has_meeting = {m.request_id for m in kept}
        requests = MeetingRequest.objects.filter(
            event=event, status=MeetingRequest.Status.ACCEPTED
        ).in_bulk([a.request_id for a in schedule.assignments])
        unschedulable = [
            {"request": rid, "reason": reason} for rid, reason in schedule.unscheduled.items()
        ]
        meetings = []
        for assignment in schedule.assignments:
            request = requests.get(assignment.request_id)
            if request is None or request.pk in has_meeting:
                continue  # declined, deleted or booked meanwhile
            sides = [(assignment.slot, request.sender_id), (assignment.slot, request.receiver_id)]
            if any(side in busy for side in sides) or (assignment.slot, assignment.table) in tables:
                unschedulable.append({"request": request.pk, "reason": BOOKED_MEANWHILE})
                continue
            busy.update(sides)
            tables.add((assignment.slot, assignment.table))
            meetings.append(
                Meeting(
                    event=event,
                    request=request,
                    slot_id=assignment.slot,
                    table_id=assignment.table,
                    source=Meeting.Source.SCHEDULER,
                )
            )
        Meeting.objects.bulk_create(meetings)
        MeetingSeat.objects.bulk_create(
            MeetingSeat(meeting=m, participant_id=pid, event=event, slot_id=m.slot_id)
            for m in meetings
            for pid in (m.request.sender_id, m.request.receiver_id)
        )
        SchedulerRun.objects.filter(pk=run.pk).update(
            status=SchedulerRun.Status.DONE,
            scheduled=len(meetings),
            kept=len(kept),
            unschedulable=unschedulable,
            finished_at=timezone.now(),
        )


# --- After the event ---------------------------------------------------------------------


@transaction.atomic
def record_feedback(*, seat: MeetingSeat, useful: bool, follow_up: bool) -> None:
    """Store one side's answers, and feed what they say beyond the event: an accepted
    introduction between the meeting's organisation and cluster without an outcome yet is
    recorded as met, and an organisation that found the meeting useful has its suggestions
    of that cluster marked *interested* (a mark the matching learns from; never overwriting a
    mark the organisation made itself)."""
    now = timezone.now()
    MeetingSeat.objects.filter(pk=seat.pk).update(
        useful=useful, follow_up=follow_up, feedback_at=now
    )
    sides = [
        other.participant
        for other in MeetingSeat.objects.filter(meeting_id=seat.meeting_id).select_related(
            "participant"
        )
    ]
    organisation_id = next((side.organisation_id for side in sides if side.organisation_id), None)
    cluster_id = next((side.cluster_id for side in sides if side.cluster_id), None)
    if organisation_id is None or cluster_id is None:
        return
    Introduction.objects.filter(
        organisation_id=organisation_id,
        cluster_id=cluster_id,
        status=Introduction.Status.ACCEPTED,
        outcome="",
    ).update(outcome=Introduction.Outcome.MET, outcome_at=now)
    answered_by_organisation = seat.participant.organisation_id == organisation_id
    if useful and answered_by_organisation:
        Suggestion.objects.filter(
            interest__organisation_id=organisation_id,
            cluster_id=cluster_id,
            status=Suggestion.Status.NEW,
        ).update(status=Suggestion.Status.INTERESTED, status_changed_at=now)


def meeting_outcomes(event: Event) -> list[dict]:
    """One entry per meeting with both sides' answers (the staff's view of the feedback)."""
    outcomes = []
    for meeting in Meeting.objects.filter(event=event).prefetch_related("seats"):
        answers = {
            seat.participant_id: (seat.useful, seat.follow_up) for seat in meeting.seats.all()
        }
        outcomes.append({"meeting": meeting.pk, "request": meeting.request_id, "answers": answers})
    return outcomes
