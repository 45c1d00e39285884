"""Small factories for event tests."""

import datetime as dt

from django.utils import timezone

from matchmaking.events import services
from matchmaking.events.models import Event, MeetingRequest
from tests.factories import make_cluster, make_organisation


def make_event(*, days=1, tables="3", start="09:00", end="11:00", **fields) -> Event:
    first = dt.date(2027, 10, 20)
    defaults = {
        "name": "EU-Mexico cluster matchmaking 2027",
        "city": "Monterrey",
        "time_zone": "America/Monterrey",
        "registration_deadline": timezone.now() + dt.timedelta(days=30),
    }
    return services.create_event(
        dates=[first + dt.timedelta(days=n) for n in range(days)],
        start=dt.time.fromisoformat(start),
        end=dt.time.fromisoformat(end),
        slot_minutes=30,
        breaks="",
        tables=services.table_names(tables),
        **(defaults | fields),
    )


def register_organisation(event, organisation=None, *, max_meetings=8, blocks=None):
    return services.register(
        event=event,
        organisation=organisation or make_organisation(),
        blocks=blocks if blocks is not None else _blocks(event),
        max_meetings=max_meetings,
    )


def register_cluster(event, cluster=None, *, max_meetings=8, blocks=None):
    return services.register(
        event=event,
        cluster=cluster or make_cluster(),
        blocks=blocks if blocks is not None else _blocks(event),
        max_meetings=max_meetings,
    )


def _blocks(event):
    from matchmaking.events.models import MeetingBlock

    return MeetingBlock.objects.filter(day__event=event)


def accepted(sender, receiver) -> MeetingRequest:
    request = services.send_request(sender=sender, receiver=receiver, message="Hola")
    services.decide(request=request, accept=True)
    request.refresh_from_db()
    return request
