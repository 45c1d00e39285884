"""The participants' and staff pages: registration, requests and answers, scoping, the
agenda (HTML with a fixed query count, iCalendar in the event's zone), exports, feedback."""

import datetime as dt

import icalendar
import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from clusters.models import Claim
from matchmaking.events import agenda, services
from matchmaking.events.models import Event, Meeting, MeetingRequest, MeetingSeat, Participant
from tests.factories import (
    accepted,
    make_cluster,
    make_event,
    make_interest,
    make_introduction,
    make_organisation,
    make_suggestion,
    make_user,
    register_cluster,
    register_organisation,
)

pytestmark = pytest.mark.django_db


def _manager(cluster, email="manager@cluster.mx"):
    user = make_user(email)
    Claim.objects.create(
        user=user, cluster=cluster, name="Ana", role="Director", work_email=email,
        consent_at=timezone.now(), consent_version="2026-11", status=Claim.Status.APPROVED,
    )  # fmt: skip
    return user


def test_an_organisation_registers_with_its_blocks_and_cap(client):
    event = make_event(days=2)
    organisation = make_organisation()
    client.force_login(organisation.user)
    block = event.days.first().blocks.get()
    response = client.post(
        reverse("events:register", args=[event.pk]),
        {"identity": "organisation", "blocks": [block.pk], "max_meetings": 5},
    )
    participant = Participant.objects.get(event=event, organisation=organisation)
    assert response.status_code == 302
    assert list(participant.blocks.all()) == [block]
    assert participant.max_meetings == 5


def test_a_claimed_cluster_registers_through_its_manager_and_an_unclaimed_one_cannot(client):
    event = make_event()
    cluster, other = make_cluster(), make_cluster()
    client.force_login(_manager(cluster))
    block = event.days.first().blocks.get()
    response = client.get(reverse("events:register", args=[event.pk]))
    assert f"cluster:{cluster.pk}" in response.content.decode()
    assert f"cluster:{other.pk}" not in response.content.decode()
    response = client.post(
        reverse("events:register", args=[event.pk]),
        {"identity": f"cluster:{other.pk}", "blocks": [block.pk], "max_meetings": 5},
    )
    assert response.status_code == 200 and "identity" in response.context["form"].errors
    assert not Participant.objects.filter(cluster=other).exists()


def test_registration_after_the_deadline_is_404(client):
    event = make_event(registration_deadline=timezone.now() - dt.timedelta(hours=1))
    client.force_login(make_organisation().user)
    assert client.get(reverse("events:register", args=[event.pk])).status_code == 404


def test_staff_register_an_unclaimed_cluster_but_not_a_claimed_one(admin_client):
    event = make_event()
    unclaimed, claimed = make_cluster(is_published=True), make_cluster(is_published=True)
    _manager(claimed)
    block = event.days.first().blocks.get()
    url = reverse("events:staff_event", args=[event.pk])
    data = {"blocks": [block.pk], "max_meetings": 4, "contact_email": "info@cluster.mx"}
    assert admin_client.post(url, data | {"cluster": unclaimed.pk}).status_code == 302
    response = admin_client.post(url, data | {"cluster": claimed.pk})
    assert "cluster" in response.context["register_form"].errors
    assert list(Participant.objects.values_list("cluster", flat=True)) == [unclaimed.pk]


def test_a_request_then_the_reverse_one_makes_a_mutual_accepted_request():
    event = make_event()
    a, b = register_organisation(event), register_cluster(event)
    first = services.send_request(sender=a, receiver=b, message="Hi")
    assert first.status == MeetingRequest.Status.PENDING
    again = services.send_request(sender=b, receiver=a)
    assert again.pk == first.pk
    first.refresh_from_db()
    assert first.status == MeetingRequest.Status.ACCEPTED and first.is_mutual


def test_automatic_acceptance_and_expiry():
    event = make_event(request_mode=Event.Requests.AUTOMATIC)
    a, b, c = register_organisation(event), register_cluster(event), register_cluster(event)
    assert services.send_request(sender=a, receiver=b).status == MeetingRequest.Status.ACCEPTED
    Event.objects.filter(pk=event.pk).update(request_mode=Event.Requests.OPT_IN)
    a.event.refresh_from_db()
    pending = services.send_request(sender=a, receiver=c)
    MeetingRequest.objects.filter(pk=pending.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert services.expire_requests() == 1
    pending.refresh_from_db()
    assert pending.status == MeetingRequest.Status.EXPIRED


def test_in_participants_mode_the_receiver_picks_a_common_free_slot_and_gets_a_table(client):
    event = make_event(scheduling=Event.Scheduling.PARTICIPANTS)
    sender = register_organisation(event)
    receiver_org = make_organisation()
    receiver = register_organisation(event, receiver_org)
    request = services.send_request(sender=sender, receiver=receiver, message="Let us meet")
    client.force_login(receiver_org.user)
    url = reverse("events:answer", args=[request.pk])
    slots = list(event.slots.all())
    form = client.get(url).context["form"]
    assert list(form.fields["slot"].queryset) == slots
    assert client.post(url, {"decision": "accept", "slot": slots[1].pk}).status_code == 302
    meeting = Meeting.objects.get(request=request)
    assert meeting.slot == slots[1] and meeting.table == event.tables.first()
    assert set(
        MeetingSeat.objects.filter(meeting=meeting).values_list("participant", flat=True)
    ) == {sender.pk, receiver.pk}


def test_a_request_can_only_be_answered_by_its_receiver(client):
    event = make_event()
    sender_org = make_organisation()
    sender = register_organisation(event, sender_org)
    request = services.send_request(sender=sender, receiver=register_cluster(event))
    client.force_login(sender_org.user)
    assert client.get(reverse("events:answer", args=[request.pk])).status_code == 404
    assert (
        client.post(
            reverse("events:answer", args=[request.pk]), {"decision": "decline"}
        ).status_code
        == 404
    )


def test_someone_elses_participation_agenda_and_requests_are_404(client):
    event = make_event()
    theirs = register_organisation(event)
    mine_org = make_organisation()
    mine = register_organisation(event, mine_org)
    client.force_login(mine_org.user)
    for name in ("my_event", "agenda", "agenda_ics"):
        assert client.get(reverse(f"events:{name}", args=[theirs.pk])).status_code == 404
        assert client.get(reverse(f"events:{name}", args=[mine.pk])).status_code == 200
    url = reverse("events:send_request", args=[theirs.pk, mine.pk])
    assert client.post(url, {"message": "x"}).status_code == 404
    assert (
        client.get(reverse("events:staff_event", args=[event.pk])).status_code == 302
    )  # to log in


def _agenda_with(count: int):
    event = make_event(days=2, start="08:00", end="20:00", tables="2")
    organisation = make_organisation()
    me = register_organisation(event, organisation, max_meetings=60)
    slots = list(event.slots.all())
    for n in range(count):
        other = register_cluster(event) if n % 2 else register_organisation(event)
        services.book(request=accepted(me, other), slot=slots[n], source="staff")
    return organisation, me


@pytest.mark.parametrize("count", [2, 10])
def test_the_agenda_page_makes_the_same_queries_for_any_number_of_meetings(
    client, django_assert_num_queries, count
):
    organisation, me = _agenda_with(count)
    client.force_login(organisation.user)
    # session, user, the participation (scoped to the user), the seats with meetings, slots,
    # tables and both sides; the navigation's "manages a cluster" and its count of
    # introductions waiting for an answer
    with django_assert_num_queries(6):
        response = client.get(reverse("events:agenda", args=[me.pk]))
    assert len(response.context["rows"]) == count
    assert "2027-10-20 08:00–08:30" in response.content.decode()  # in the event's zone


def test_the_ics_parses_and_is_in_the_events_time_zone(client):
    organisation, me = _agenda_with(3)
    response = client.get(agenda.feed_url(me))
    calendar = icalendar.Calendar.from_ical(response.content)
    events = calendar.walk("VEVENT")
    assert len(events) == 3
    first = events[0].decoded("dtstart")
    assert str(first.tzinfo) == "America/Monterrey"
    assert first.hour == 8 and first.minute == 0
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/Monterrey"]
    assert client.get(reverse("events:agenda_feed", args=["forged"])).status_code == 404


def test_feedback_is_taken_only_after_the_meeting(client):
    organisation, me = _agenda_with(1)
    seat = MeetingSeat.objects.get(participant=me)
    client.force_login(organisation.user)
    url = reverse("events:feedback", args=[seat.pk])
    client.post(url, {"useful": "yes", "follow_up": "no"})
    seat.refresh_from_db()
    assert seat.feedback_at is None
    seat.slot.__class__.objects.filter(pk=seat.slot_id).update(
        starts_at=timezone.now() - dt.timedelta(hours=2),
        ends_at=timezone.now() - dt.timedelta(hours=1),
    )
    client.post(url, {"useful": "yes", "follow_up": "no"})
    seat.refresh_from_db()
    assert (seat.useful, seat.follow_up) == (True, False)
    outcome = services.meeting_outcomes(me.event)[0]
    assert outcome["answers"][me.pk] == (True, False)


def test_exports_never_write_a_formula(admin_client):
    event = make_event()
    a = register_organisation(event, make_organisation(name='=HYPERLINK("http://x")'))
    services.book(
        request=accepted(a, register_cluster(event)), slot=event.slots.first(), source="staff"
    )
    csv_text = admin_client.get(reverse("events:export_csv", args=[event.pk])).content.decode()
    assert "'=HYPERLINK" in csv_text
    response = admin_client.get(reverse("events:export_xlsx", args=[event.pk]))
    import io

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(2, 4).data_type == "s" and sheet.cell(2, 4).value.startswith("=HYPERLINK")


def test_staff_create_an_event_with_its_slots_and_tables(admin_client):
    response = admin_client.post(
        reverse("events:staff_event_new"),
        {
            "name": "Aerospace mission", "city": "Querétaro", "time_zone": "America/Mexico_City",
            "registration_deadline": "2027-10-01T18:00", "audience": "everyone",
            "scheduling": "organisers", "request_mode": "opt_in", "dates": "2027-10-20, 2027-10-21",
            "start": "09:00", "end": "12:00", "slot_minutes": 20, "breaks": "10:00-10:20",
            "tables": "Sala A, Sala B",
        },
    )  # fmt: skip
    event = Event.objects.get()
    assert response.status_code == 302
    assert event.registration_deadline == dt.datetime(2027, 10, 2, 0, 0, tzinfo=dt.UTC)
    assert list(event.tables.values_list("name", flat=True)) == ["Sala A", "Sala B"]
    # 09:00-12:00 in 20 minutes, without 10:00-10:20: 8 slots a day
    assert event.slots.count() == 16


def test_a_bad_event_form_shows_errors_and_creates_nothing(admin_client):
    response = admin_client.post(
        reverse("events:staff_event_new"),
        {
            "name": "x",
            "dates": "tomorrow",
            "breaks": "noon",
            "tables": "",
            "start": "10:00",
            "end": "09:00",
        },
    )
    assert response.status_code == 200
    assert {"dates", "breaks", "tables", "end", "city"} <= set(response.context["form"].errors)
    assert not Event.objects.exists()


def _event_with_participants(count: int):
    from tests.factories import make_interest

    event = make_event(participants_published=True)
    organisation = make_organisation()
    make_interest(organisation, sectors=("aerospace",))
    me = register_organisation(event, organisation)
    for n in range(count):
        if n % 2:
            register_cluster(event, make_cluster(sectors=("aerospace",), is_published=True))
        else:
            register_organisation(event)
    return event, organisation, me


@pytest.mark.parametrize("count", [4, 12])
def test_the_participant_list_makes_the_same_queries_for_any_number_of_participants(
    client, django_assert_num_queries, count
):
    event, organisation, me = _event_with_participants(count)
    client.force_login(organisation.user)
    url = reverse("events:event", args=[event.pk])
    client.get(url)  # the engine's cluster index is built once per process: not counted
    # session, user, the event, the user's participations; the participants (with
    # organisation, cluster, state) and the clusters' sectors; the viewer's interests, and
    # per interest (not per participant) its sectors, related sectors and states; the
    # engine's data-version token; the requests sent and received; the reasons' sector and
    # state names; may they register: their organisation, registered already, clusters they
    # manage; the filter form's sectors and states; the navigation's "manages a cluster" and
    # its count of introductions waiting for an answer
    with django_assert_num_queries(22):
        response = client.get(url)
    rows = response.context["rows"]
    assert len(rows) == count
    clusters = [row for row in rows if row["participant"].cluster_id]
    assert rows[: len(clusters)] == clusters  # scored clusters ("suggested for you") first
    assert all(row["score"] and row["reasons"] for row in clusters)


def test_the_participant_list_filters_by_kind_and_country(client):
    event, organisation, me = _event_with_participants(4)
    register_organisation(event, make_organisation(country="ES", name="Bilbao Aero"))
    client.force_login(organisation.user)
    url = reverse("events:event", args=[event.pk])
    names = lambda response: [row["participant"].name for row in response.context["rows"]]  # noqa: E731
    assert names(client.get(url, {"country": "ES"})) == ["Bilbao Aero"]
    kinds = {
        row["participant"].is_cluster
        for row in client.get(url, {"kind": "cluster"}).context["rows"]
    }
    assert kinds == {True}
    assert client.get(url, {"country": "XX"}).status_code == 200  # a bad filter: no 500


def test_a_cluster_sees_the_organisations_it_was_suggested_to_first(client):
    from tests.factories import make_interest, make_suggestion

    event = make_event(participants_published=True)
    cluster = make_cluster(is_published=True)
    me = register_cluster(event, cluster)
    fan = make_organisation(name="Fan GmbH")
    make_suggestion(make_interest(fan), cluster, score=77)
    register_organisation(event, make_organisation(name="Another SAS"))
    register_organisation(event, fan)
    client.force_login(_manager(cluster))
    rows = client.get(reverse("events:event", args=[event.pk]), {"as": me.pk}).context["rows"]
    assert [(row["participant"].name, row["score"]) for row in rows] == [
        ("Fan GmbH", 77),
        ("Another SAS", None),
    ]


def test_a_booked_meeting_emails_both_sides_their_agenda_and_staff_send_final_agendas(
    admin_client, django_capture_on_commit_callbacks, monkeypatch, mailoutbox
):
    from matchmaking.events import tasks

    sent = []
    monkeypatch.setattr(
        tasks.send_agenda_change, "apply_async", lambda args, **kw: sent.append(args)
    )
    event = make_event()
    a = register_organisation(event, make_organisation(name="Aero GmbH"))
    b = register_organisation(event, make_organisation(name="Bilbao Aero"))
    with django_capture_on_commit_callbacks(execute=True):
        meeting = services.book(request=accepted(a, b), slot=event.slots.first(), source="staff")
    assert sent == [(meeting.pk,)]
    assert tasks.send_agenda_change(meeting.pk) == 2
    assert {m.to[0] for m in mailoutbox} == {a.email(), b.email()}
    assert "Bilbao Aero" in mailoutbox[0].body and "08:00" not in mailoutbox[0].body
    assert "09:00" in mailoutbox[0].body  # the event's zone (America/Monterrey), not UTC
    mailoutbox.clear()
    assert tasks.send_agendas(event.pk, True) == 2
    assert all("Your final agenda" in m.subject for m in mailoutbox)


def test_the_agenda_and_the_event_page_speak_spanish(client):
    organisation, me = _agenda_with(1)
    client.force_login(organisation.user)
    page = client.get(reverse("events:agenda", args=[me.pk]), HTTP_ACCEPT_LANGUAGE="es")
    assert f"Agenda de {organisation.name}" in page.content.decode()
    assert "Horas en America/Monterrey" in page.content.decode()
    page = client.get(reverse("events:event", args=[me.event_id]), HTTP_ACCEPT_LANGUAGE="es")
    assert "Participantes" in page.content.decode()


def test_staff_check_participants_in_and_mark_no_shows(admin_client, client):
    event = make_event()
    participant = register_cluster(event)
    url = reverse("events:attendance", args=[participant.pk])
    admin_client.post(url, {"action": "check_in"})
    participant.refresh_from_db()
    assert participant.checked_in_at is not None and not participant.no_show
    admin_client.post(url, {"action": "no_show"})
    participant.refresh_from_db()
    assert participant.checked_in_at is None and participant.no_show
    assert admin_client.get(url).status_code == 405  # POST only
    client.force_login(make_organisation().user)
    client.post(url, {"action": "check_in"})
    participant.refresh_from_db()
    assert participant.checked_in_at is None  # not staff: refused (sent to log in)


def test_feedback_records_the_introduction_as_met_and_marks_a_useful_cluster(client):
    """After the event, an organisation's "useful" marks its suggestion of the cluster it met
    interested, and their accepted introduction without an outcome becomes "met"; nothing the
    organisation marked itself is overwritten."""
    event = make_event()
    organisation, cluster, other = make_organisation(), make_cluster(), make_cluster()
    me = register_organisation(event, organisation)
    services.book(
        request=accepted(me, register_cluster(event, cluster)),
        slot=event.slots.first(),
        source="staff",
    )
    interest = make_interest(organisation)
    met = make_suggestion(interest, cluster)
    untouched = make_suggestion(interest, other)
    introduction = make_introduction(organisation, cluster, status="accepted")
    seat = MeetingSeat.objects.get(participant=me)
    services.record_feedback(seat=seat, useful=True, follow_up=True)
    met.refresh_from_db(), untouched.refresh_from_db(), introduction.refresh_from_db()
    assert (met.status, untouched.status) == ("interested", "new")
    assert introduction.outcome == "met"

    # A second answer changes neither what was recorded nor a mark the user made.
    met.status = "not_relevant"
    met.save(update_fields=["status"])
    introduction.outcome = "agreement"
    introduction.save(update_fields=["outcome"])
    services.record_feedback(seat=seat, useful=True, follow_up=False)
    met.refresh_from_db(), introduction.refresh_from_db()
    assert (met.status, introduction.outcome) == ("not_relevant", "agreement")
