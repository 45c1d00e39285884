"""Celery tasks of the events: thin, idempotent, taking ids."""

import threading

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone, translation

from matchmaking.events import scheduler, services
from matchmaking.events.models import Event, Meeting, Participant, SchedulerRun

PROGRESS_SECONDS = 1.0  # how often a running solve's progress is written for staff


@shared_task(
    time_limit=settings.EVENTS_SCHEDULER_SECONDS + 120,
    soft_time_limit=settings.EVENTS_SCHEDULER_SECONDS + 90,
    acks_late=False,  # a rerun is harmless but costs minutes: staff re-run by hand instead
)
def run_scheduler(run_id: int) -> None:
    """Solve the event's schedule and write it. Claims the run (queued -> running) first, so
    a message delivered twice runs once. The solve runs in a thread; this one writes its
    progress every second."""
    claimed = SchedulerRun.objects.filter(pk=run_id, status=SchedulerRun.Status.QUEUED).update(
        status=SchedulerRun.Status.RUNNING
    )
    if not claimed:
        return
    run = SchedulerRun.objects.select_related("event").get(pk=run_id)
    try:
        problem = services.read_problem(run.event)
        progress = scheduler.Progress()
        result: dict = {}

        def work():
            try:
                result["schedule"] = scheduler.solve(
                    problem,
                    time_limit=run.time_limit,
                    workers=settings.EVENTS_SCHEDULER_WORKERS,
                    progress=progress,
                )
            except Exception as exc:  # noqa: BLE001 - reported on the run
                result["error"] = exc

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        while thread.is_alive():
            thread.join(PROGRESS_SECONDS)
            SchedulerRun.objects.filter(pk=run_id).update(progress=progress.snapshot())
        if "error" in result:
            raise result["error"]
        schedule = result["schedule"]
        SchedulerRun.objects.filter(pk=run_id).update(
            progress=progress.snapshot() | {"status": schedule.status, "solver": schedule.solver}
        )
        services.write_schedule(run=run, schedule=schedule)
    except Exception as exc:
        SchedulerRun.objects.filter(pk=run_id).update(
            status=SchedulerRun.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise


def _send_agenda(participant: Participant, *, subject: str, template: str, **context) -> int:
    email = participant.email()
    if not email:
        return 0
    language = (
        participant.organisation.language if participant.organisation_id else settings.LANGUAGE_CODE
    )
    with translation.override(language):
        meetings = (
            Meeting.objects.filter(seats__participant=participant)
            .select_related(
                "slot", "table", "request__sender__organisation", "request__sender__cluster"
            )
            .select_related("request__receiver__organisation", "request__receiver__cluster")
        )
        body = render_to_string(
            template,
            {"participant": participant, "meetings": meetings, "site_url": settings.SITE_URL}
            | context,
        )
        return send_mail(str(subject), body, None, [email])


@shared_task(time_limit=600, soft_time_limit=570)
def send_agendas(event_id: int, final: bool) -> int:
    """Every participant's agenda by email (preliminary or final)."""
    from django.utils.translation import gettext_lazy as _

    event = Event.objects.get(pk=event_id)
    sent = 0
    participants = Participant.objects.filter(event=event).select_related(
        "organisation__user", "cluster"
    )
    for participant in participants:
        subject = _("Your final agenda") if final else _("Your preliminary agenda")
        sent += _send_agenda(
            participant,
            subject=f"{event.name}: {subject}",
            template="events/email/agenda.txt",
            event=event,
            final=final,
        )
    return sent


@shared_task(time_limit=60, soft_time_limit=50)
def send_agenda_change(meeting_id: int) -> int:
    """Both sides of a meeting booked or moved get their updated agenda."""
    from django.utils.translation import gettext_lazy as _

    meeting = Meeting.objects.filter(pk=meeting_id).select_related("event").first()
    if meeting is None:
        return 0
    sent = 0
    for participant in Participant.objects.filter(seats__meeting=meeting).select_related(
        "organisation__user", "cluster"
    ):
        sent += _send_agenda(
            participant,
            subject=f"{meeting.event.name}: {_('your agenda changed')}",
            template="events/email/agenda.txt",
            event=meeting.event,
            final=False,
        )
    return sent


@shared_task(time_limit=60, soft_time_limit=50)
def expire_requests() -> int:
    return services.expire_requests()
