"""Scheduler runs against the database: what a run keeps and replaces, and real concurrent
workers (two runs at once, participants booking meanwhile) never double-booking."""

import threading

import pytest
from django.db import close_old_connections, connection
from django.db.models import Count, F

from matchmaking.events import services, tasks
from matchmaking.events.models import Event, Meeting, MeetingSeat, SchedulerRun
from tests.factories import (
    accepted,
    make_event,
    register_cluster,
    register_organisation,
)
from tests.realservices import wait_for


def _run(event, time_limit=5) -> SchedulerRun:
    return SchedulerRun.objects.create(event=event, time_limit=time_limit)


def _assert_consistent(event):
    """Every meeting has its two seats, in its slot; nobody and no table twice per slot."""
    meetings = Meeting.objects.filter(event=event)
    assert not meetings.annotate(n=Count("seats")).exclude(n=2).exists()
    assert not MeetingSeat.objects.filter(event=event).exclude(slot=F("meeting__slot")).exists()
    seats = list(MeetingSeat.objects.filter(event=event).values_list("slot", "participant"))
    assert len(seats) == len(set(seats))
    places = list(meetings.values_list("slot", "table"))
    assert len(places) == len(set(places))


@pytest.mark.django_db
def test_a_run_schedules_accepted_requests_keeps_pinned_ones_and_explains_the_rest():
    event = make_event(tables="1")  # 4 slots, one table
    a, b, c = register_organisation(event), register_cluster(event), register_cluster(event)
    d = register_organisation(event, max_meetings=1)
    pinned = services.book(
        request=accepted(a, b), slot=event.slots.last(), source="staff", pinned=True
    )
    accepted(a, c)
    accepted(d, b)
    accepted(d, c)  # d wants one meeting only
    run = _run(event)
    tasks.run_scheduler(run.pk)
    run.refresh_from_db()
    assert run.status == SchedulerRun.Status.DONE
    assert (run.scheduled, run.kept) == (2, 1)
    assert [item["reason"] for item in run.unschedulable] == ["limit_reached"]
    pinned_after = Meeting.objects.get(pk=pinned.pk)
    assert (pinned_after.slot, pinned_after.table) == (pinned.slot, pinned.table)
    _assert_consistent(event)
    # A re-run replaces the scheduler's meetings and keeps the pinned one again.
    again = _run(event)
    tasks.run_scheduler(again.pk)
    again.refresh_from_db()
    assert (again.scheduled, again.kept) == (2, 1)
    assert Meeting.objects.filter(pk=pinned.pk).exists()
    tasks.run_scheduler(again.pk)  # delivered twice: runs once
    assert Meeting.objects.filter(event=event).count() == 3


@pytest.mark.django_db
def test_a_meeting_booked_while_the_run_solved_wins_and_the_clash_is_explained():
    event = make_event(tables="1", start="09:00", end="09:30")  # one slot, one table
    a, b, c = register_organisation(event), register_cluster(event), register_cluster(event)
    request = accepted(a, b)
    run = _run(event)
    problem = services.read_problem(event)
    from matchmaking.events import scheduler

    schedule = scheduler.solve(problem, time_limit=5, workers=1)
    assert schedule.count == 1
    # Meanwhile another meeting takes the only table of the only slot.
    services.book(
        request=accepted(c, register_organisation(event)),
        slot=event.slots.get(),
        source="participants",
    )
    services.write_schedule(run=run, schedule=schedule)
    run.refresh_from_db()
    assert run.scheduled == 0
    assert run.unschedulable == [{"request": request.pk, "reason": "booked_meanwhile"}]
    _assert_consistent(event)


@pytest.mark.slow
def test_two_runs_in_real_workers_and_participants_booking_meanwhile_never_double_book(worker):
    """Two scheduler runs enqueued at once (two worker processes) while four threads accept
    requests choosing slots: whatever the interleaving, the runs finish, the participants'
    meetings stay, and no participant or table is ever in two meetings at once."""
    event = make_event(
        days=1, tables="10", start="09:00", end="12:00", scheduling=Event.Scheduling.PARTICIPANTS
    )
    people = [register_organisation(event) if n % 2 else register_cluster(event) for n in range(40)]
    for i, a in enumerate(people):
        for b in people[i + 1 : i + 9]:
            accepted(a, b)  # ~300 requests for 6 slots x 10 tables: the solve takes its time
    pending = [services.send_request(sender=people[i], receiver=people[i + 20]) for i in range(20)]
    runs = [_run(event, time_limit=4), _run(event, time_limit=4)]
    for run in runs:
        tasks.run_scheduler.delay(run.pk)
    wait_for(
        lambda: SchedulerRun.objects.filter(pk__in=[r.pk for r in runs], status="running").exists(),
        timeout=60,
        what="a run solving",
    )

    booked, refused = [], []

    def accept_all(requests):
        try:
            for request in requests:
                for slot in services.common_free_slots(request):
                    try:
                        services.decide(request=request, accept=True, slot=slot)
                        booked.append(request.pk)
                        break
                    except services.SlotTaken:  # the request stays pending: try the next
                        refused.append(request.pk)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=accept_all, args=(pending[n::4],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    wait_for(
        lambda: (
            SchedulerRun.objects.filter(
                pk__in=[r.pk for r in runs], status__in=["done", "failed"]
            ).count()
            == 2
        ),
        timeout=120,
        what="both runs finished",
    )
    assert list(
        SchedulerRun.objects.filter(pk__in=[r.pk for r in runs]).values_list("status", flat=True)
    ) == ["done", "done"]
    assert all(
        run.progress["meetings"] > 0
        for run in SchedulerRun.objects.filter(pk__in=[r.pk for r in runs])
    )
    assert booked, "no participant booked during the runs"
    assert Meeting.objects.filter(request__in=booked, source="participants").count() == len(booked)
    assert Meeting.objects.filter(event=event, source="scheduler").exists()
    _assert_consistent(event)


@pytest.mark.django_db
def test_staff_start_a_run_and_its_page_gives_each_left_out_request_its_reason(
    admin_client, django_capture_on_commit_callbacks, monkeypatch
):
    from django.urls import reverse

    sent = []
    monkeypatch.setattr(tasks.run_scheduler, "apply_async", lambda args, **kw: sent.append(args))
    event = make_event(tables="1", start="09:00", end="09:30")  # one meeting fits
    a = register_organisation(event)
    accepted(a, register_cluster(event))
    accepted(a, register_cluster(event))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("events:run_scheduler", args=[event.pk]))
    run = SchedulerRun.objects.get()
    assert response.url == reverse("events:scheduler_run", args=[run.pk])
    assert sent == [(run.pk,)]
    page = admin_client.get(response.url).content.decode()
    assert 'http-equiv="refresh"' in page  # queued: the page follows the run
    tasks.run_scheduler(run.pk)
    page = admin_client.get(response.url).content.decode()
    assert "1 meetings scheduled" in page and 'http-equiv="refresh"' not in page
    assert "Every common free time is full (tables or other meetings)." in page
