"""The booking rules held by PostgreSQL itself, whatever the code above it does."""

import pytest
from django.db import IntegrityError, transaction

from matchmaking.events import services
from matchmaking.events.models import Meeting, MeetingSeat, Participant
from tests.factories import (
    accepted,
    make_cluster,
    make_event,
    make_organisation,
    register_cluster,
    register_organisation,
)

pytestmark = pytest.mark.django_db


def _meeting_raw(request, slot, table):
    """A meeting and its two seats written directly, past every check in services."""
    with transaction.atomic():
        meeting = Meeting.objects.create(
            event=request.event, request=request, slot=slot, table=table, source="staff"
        )
        for pid in (request.sender_id, request.receiver_id):
            MeetingSeat.objects.create(
                meeting=meeting, participant_id=pid, event=request.event, slot=slot
            )
    return meeting


def test_a_participant_cannot_sit_in_two_meetings_in_one_slot():
    event = make_event()
    a, b, c = register_organisation(event), register_cluster(event), register_cluster(event)
    slot = event.slots.first()
    tables = list(event.tables.all())
    _meeting_raw(accepted(a, b), slot, tables[0])
    with pytest.raises(IntegrityError, match="events_seat_unique_participant_slot"):
        _meeting_raw(accepted(a, c), slot, tables[1])


def test_a_table_cannot_hold_two_meetings_in_one_slot():
    event = make_event()
    a, b, c, d = (
        register_organisation(event),
        register_cluster(event),
        register_organisation(event),
        register_cluster(event),
    )
    slot, table = event.slots.first(), event.tables.first()
    _meeting_raw(accepted(a, b), slot, table)
    with pytest.raises(IntegrityError, match="events_meeting_unique_slot_table"):
        _meeting_raw(accepted(c, d), slot, table)


def test_a_participant_is_an_organisation_or_a_cluster_never_both_nor_neither():
    event = make_event()
    with pytest.raises(IntegrityError, match="events_participant_organisation_xor_cluster"):
        with transaction.atomic():
            Participant.objects.create(
                event=event, organisation=make_organisation(), cluster=make_cluster()
            )
    with pytest.raises(IntegrityError, match="events_participant_organisation_xor_cluster"):
        Participant.objects.create(event=event)


def test_booking_a_busy_slot_raises_slot_taken_and_writes_nothing():
    event = make_event(scheduling="participants")
    a, b, c = register_organisation(event), register_cluster(event), register_cluster(event)
    slot = event.slots.first()
    services.book(request=accepted(a, b), slot=slot, source="participants")
    with pytest.raises(services.SlotTaken):
        services.book(request=accepted(a, c), slot=slot, source="participants")
    assert Meeting.objects.count() == 1
    assert MeetingSeat.objects.count() == 2


def test_a_move_onto_a_busy_table_is_refused_and_the_meeting_stays():
    event = make_event()
    a, b, c, d = (
        register_organisation(event),
        register_cluster(event),
        register_organisation(event),
        register_cluster(event),
    )
    first, second = event.slots.all()[:2]
    table = event.tables.first()
    m1 = services.book(request=accepted(a, b), slot=first, table=table, source="staff")
    services.book(request=accepted(c, d), slot=second, table=table, source="staff")
    with pytest.raises(services.SlotTaken):
        services.move(meeting=m1, slot=second, table=table)
    m1.refresh_from_db()
    assert (m1.slot, m1.table) == (first, table)
    assert set(MeetingSeat.objects.filter(meeting=m1).values_list("slot", flat=True)) == {first.pk}


def test_an_event_with_meetings_can_be_deleted_but_a_slot_with_a_meeting_cannot():
    from django.db.models import RestrictedError

    event = make_event()
    meeting = services.book(
        request=accepted(register_organisation(event), register_cluster(event)),
        slot=event.slots.first(),
        source="staff",
    )
    with pytest.raises(RestrictedError):
        meeting.slot.delete()
    event.delete()
    assert not Meeting.objects.exists() and not MeetingSeat.objects.exists()


def test_a_block_added_in_the_admin_gets_its_slots(admin_client):
    from django.urls import reverse

    event = make_event()  # 09:00-11:00 on 2027-10-20
    day = event.days.create(date="2027-10-21")
    response = admin_client.post(
        reverse("admin:events_meetingblock_add"),
        {
            "day": day.pk,
            "name": "",
            "start": "16:00",
            "end": "17:00",
            "slot_minutes": 20,
            "breaks": "16:20-16:40",
        },
    )
    assert response.status_code == 302
    starts = [
        s.starts_at.astimezone(event.zone).strftime("%H:%M")
        for s in event.slots.filter(block__day=day)
    ]
    assert starts == ["16:00", "16:40"]
