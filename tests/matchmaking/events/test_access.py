"""Every events URL that takes a parameter: someone else's participation, request or seat is
a 404; staff pages refuse everyone else; the rest are public on purpose. COVERED lists them
all for tests/reliability/test_security.py's guard."""

import pytest
from django.urls import reverse

from matchmaking.events import agenda, services
from matchmaking.events.urls import urlpatterns
from tests.factories import (
    accepted,
    make_event,
    make_organisation,
    register_cluster,
    register_organisation,
)

pytestmark = pytest.mark.django_db

# name -> what the parameter names, for the user's own only (404 otherwise)
OWNED = {
    "my_event": ("participant", "get"),
    "agenda": ("participant", "get"),
    "agenda_ics": ("participant", "get"),
    "send_request": ("participant", "post"),
    "answer": ("request", "post"),
    "feedback": ("seat", "post"),
}
STAFF = {
    "staff_event": "event", "run_scheduler": "event", "scheduler_run": "run",
    "move_meeting": "meeting", "send_agendas": "event", "attendance": "participant",
    "table_plan": "event", "export_csv": "event", "export_xlsx": "event",
}  # fmt: skip
PUBLIC = {
    "event": "an event's page (its participant list only once published, or to participants)",
    "register": "registers the user's own organisation or managed clusters only",
    "agenda_feed": "a signed token naming the participant",
}
COVERED = {f"events:{name}" for name in (*OWNED, *STAFF, *PUBLIC)}


def test_every_events_url_with_a_parameter_is_covered_here():
    with_parameters = {p.name for p in urlpatterns if p.pattern.regex.groups}
    assert with_parameters == set(OWNED) | set(STAFF) | set(PUBLIC)


@pytest.fixture
def theirs():
    """Another organisation's participation, with a meeting, a request it received and a seat."""
    event = make_event()
    participant = register_organisation(event)
    other = register_cluster(event)
    meeting = services.book(
        request=accepted(participant, other), slot=event.slots.first(), source="staff"
    )
    request = services.send_request(sender=register_cluster(event), receiver=participant)
    return {
        "participant": participant,
        "request": request,
        "seat": meeting.seats.get(participant=participant),
        "meeting": meeting,
        "event": event,
        "other": other,
    }


def _args(name, objects):
    what = OWNED[name][0]
    args = [objects[what].pk]
    if name == "send_request":
        args.append(objects["other"].pk)
    return args


@pytest.mark.parametrize("name", sorted(OWNED))
def test_someone_elses_object_is_404(client, theirs, name):
    organisation = make_organisation()
    register_organisation(theirs["event"], organisation)
    client.force_login(organisation.user)
    url = reverse(f"events:{name}", args=_args(name, theirs))
    method = OWNED[name][1]
    response = (
        client.post(url, {"decision": "accept", "useful": "yes", "follow_up": "yes"})
        if method == "post"
        else client.get(url)
    )
    assert response.status_code == 404


@pytest.mark.parametrize("name", sorted(STAFF))
def test_staff_pages_refuse_a_participant(client, theirs, name):
    from matchmaking.events.models import SchedulerRun

    theirs["run"] = SchedulerRun.objects.create(event=theirs["event"])
    client.force_login(theirs["participant"].organisation.user)
    url = reverse(f"events:{name}", args=[theirs[STAFF[name]].pk])
    for response in (client.get(url), client.post(url, {"action": "check_in"})):
        assert response.status_code in (302, 405)
        if response.status_code == 302:
            assert response.url.startswith("/admin/login/")
    theirs["participant"].refresh_from_db()
    assert theirs["participant"].checked_in_at is None


def test_the_feed_needs_its_signature(client, theirs):
    token = agenda.feed_token(theirs["participant"])
    assert client.get(reverse("events:agenda_feed", args=[token])).status_code == 200
    assert client.get(reverse("events:agenda_feed", args=[token[:-2] + "xx"])).status_code == 404
