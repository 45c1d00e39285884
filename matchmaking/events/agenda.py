"""A participant's agenda: its meetings (a fixed number of queries however many), as HTML
data and as an iCalendar file in the event's time zone, with a signed feed URL."""

from django.core import signing
from django.urls import reverse
from django.utils import timezone

from matchmaking.events.models import Event, MeetingSeat, Participant

FEED_SALT = "matchmaking.events.agenda-feed"


def seats_for(participant: Participant):
    """The participant's seats, each with its meeting, slot, table and both sides."""
    return (
        MeetingSeat.objects.filter(participant=participant)
        .select_related(
            "slot",
            "meeting__table",
            "meeting__request__sender__organisation",
            "meeting__request__sender__cluster",
            "meeting__request__receiver__organisation",
            "meeting__request__receiver__cluster",
        )
        .order_by("slot__starts_at")
    )


def other_side(seat: MeetingSeat) -> Participant:
    request = seat.meeting.request
    return request.receiver if request.sender_id == seat.participant_id else request.sender


def feed_token(participant: Participant) -> str:
    return signing.dumps(participant.pk, salt=FEED_SALT)


def participant_from_token(token: str) -> int | None:
    try:
        return int(signing.loads(token, salt=FEED_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        return None


def feed_url(participant: Participant) -> str:
    return reverse("events:agenda_feed", args=[feed_token(participant)])


def ics(event: Event, participant: Participant, seats) -> bytes:
    """One VEVENT per meeting, times in the event's zone (with its VTIMEZONE)."""
    import icalendar

    zone = event.zone
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//EU-Mexico cluster matchmaking//events//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{event.name}: {participant.name}")
    calendar.add("x-wr-timezone", event.time_zone)
    for seat in seats:
        other = other_side(seat)
        entry = icalendar.Event()
        entry.add("uid", f"meeting-{seat.meeting_id}-{participant.pk}@{event.pk}.events")
        entry.add("dtstamp", timezone.now())
        entry.add("dtstart", timezone.localtime(seat.slot.starts_at, zone))
        entry.add("dtend", timezone.localtime(seat.slot.ends_at, zone))
        entry.add("summary", f"{other.name} ({seat.meeting.table.name})")
        entry.add(
            "location", ", ".join(filter(None, [seat.meeting.table.name, event.venue, event.city]))
        )
        calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()
