"""Staff pages of an event: set-up, registering unclaimed clusters, the scheduler, moves,
agendas by email, the table plan, check-in and no-shows, exports."""

import io

import openpyxl
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from clusters.transfer import csv_writer
from matchmaking.enqueue import enqueue_on_commit
from matchmaking.events import services, tasks
from matchmaking.events.forms import EventForm, MoveForm, StaffRegistrationForm
from matchmaking.events.models import Event, Meeting, MeetingRequest, Participant, SchedulerRun


@staff_member_required
def event_new(request):
    form = EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        extra = {name: data.pop(name) for name in ("start", "end", "slot_minutes", "breaks")}
        event = services.create_event(
            dates=data.pop("dates"), tables=data.pop("tables"), **extra, **data
        )
        messages.success(request, _("Event created."))
        return redirect("events:staff_event", event.pk)
    return render(request, "events/staff/event_form.html", {"form": form})


@staff_member_required
def event_staff(request, pk):
    event = get_object_or_404(Event, pk=pk)
    register_form = StaffRegistrationForm(event=event)
    if request.method == "POST":
        register_form = StaffRegistrationForm(request.POST, event=event)
        if register_form.is_valid():
            data = register_form.cleaned_data
            services.register(event=event, by=request.user, **data)
            messages.success(request, _("%(name)s registered.") % {"name": data["cluster"].name})
            return redirect("events:staff_event", event.pk)
    participants = Participant.objects.filter(event=event).select_related("organisation", "cluster")
    meetings = Meeting.objects.filter(event=event).select_related(
        "slot", "table", "request__sender__organisation", "request__sender__cluster",
        "request__receiver__organisation", "request__receiver__cluster",
    )  # fmt: skip
    context = {
        "event": event,
        "participants": participants,
        "meetings": meetings,
        "register_form": register_form,
        "runs": event.scheduler_runs.all()[:5],
        "accepted": event.requests.filter(status=MeetingRequest.Status.ACCEPTED).count(),
        "move_form": MoveForm(event=event),
    }
    return render(request, "events/staff/event.html", context)


@require_POST
@staff_member_required
def run_scheduler(request, pk):
    event = get_object_or_404(Event, pk=pk)
    run = SchedulerRun.objects.create(
        event=event, requested_by=request.user, time_limit=settings.EVENTS_SCHEDULER_SECONDS
    )
    enqueue_on_commit(tasks.run_scheduler, run.pk)
    return redirect("events:scheduler_run", run.pk)


@require_safe
@staff_member_required
def scheduler_run(request, pk):
    run = get_object_or_404(SchedulerRun.objects.select_related("event"), pk=pk)
    requests = MeetingRequest.objects.filter(
        pk__in=[item["request"] for item in run.unschedulable]
    ).select_related(
        "sender__organisation", "sender__cluster", "receiver__organisation", "receiver__cluster"
    )
    by_id = {r.pk: r for r in requests}
    unschedulable = [
        {
            "request": by_id.get(item["request"]),
            "reason": REASONS.get(item["reason"], item["reason"]),
        }
        for item in run.unschedulable
    ]
    context = {"run": run, "event": run.event, "unschedulable": unschedulable}
    return render(request, "events/staff/scheduler_run.html", context)


REASONS = {
    "no_common_time": gettext_lazy("The two sides attend no common meeting block."),
    "limit_reached": gettext_lazy("One side has as many meetings as it wants."),
    "no_room": gettext_lazy("Every common free time is full (tables or other meetings)."),
    "booked_meanwhile": gettext_lazy("Its time or table was booked while the scheduler ran."),
}


@require_POST
@staff_member_required
def move_meeting(request, pk):
    meeting = get_object_or_404(Meeting.objects.select_related("event"), pk=pk)
    form = MoveForm(request.POST, event=meeting.event)
    if form.is_valid():
        try:
            services.move(meeting=meeting, **form.cleaned_data)
            messages.success(request, _("Meeting moved."))
        except services.SlotTaken:
            messages.error(request, _("A participant or the table is busy at that time."))
    else:
        messages.error(request, _("Choose a time and a table."))
    return redirect("events:staff_event", meeting.event_id)


@require_POST
@staff_member_required
def send_agendas(request, pk):
    event = get_object_or_404(Event, pk=pk)
    final = request.POST.get("final") == "1"
    enqueue_on_commit(tasks.send_agendas, event.pk, final)
    messages.success(request, _("The agendas are being sent."))
    return redirect("events:staff_event", event.pk)


@require_POST
@staff_member_required
def attendance(request, pk):
    """Check a participant in, or mark them a no-show (or undo either)."""
    participant = get_object_or_404(Participant, pk=pk)
    action = request.POST.get("action")
    if action == "check_in":
        Participant.objects.filter(pk=pk).update(checked_in_at=timezone.now(), no_show=False)
    elif action == "no_show":
        Participant.objects.filter(pk=pk).update(checked_in_at=None, no_show=True)
    elif action == "reset":
        Participant.objects.filter(pk=pk).update(checked_in_at=None, no_show=False)
    return redirect("events:staff_event", participant.event_id)


@require_safe
@staff_member_required
def table_plan(request, pk):
    event = get_object_or_404(Event, pk=pk)
    meetings = Meeting.objects.filter(event=event).select_related(
        "slot", "table", "request__sender__organisation", "request__sender__cluster",
        "request__receiver__organisation", "request__receiver__cluster",
    ).order_by("slot__starts_at", "table__position")  # fmt: skip
    plan: dict = {}
    for meeting in meetings:
        plan.setdefault(meeting.slot, []).append(meeting)
    zone = event.zone
    slots = [
        {"start": timezone.localtime(slot.starts_at, zone), "meetings": items}
        for slot, items in plan.items()
    ]
    return render(request, "events/staff/table_plan.html", {"event": event, "slots": slots})


EXPORT_HEADER = [
    "start",
    "end",
    "table",
    "participant A",
    "participant B",
    "mutual",
    "score",
    "pinned",
    "source",
]


def _export_rows(event: Event):
    zone = event.zone
    meetings = Meeting.objects.filter(event=event).select_related(
        "slot", "table", "request__sender__organisation", "request__sender__cluster",
        "request__receiver__organisation", "request__receiver__cluster",
    ).order_by("slot__starts_at", "table__position")  # fmt: skip
    for m in meetings:
        yield [
            timezone.localtime(m.slot.starts_at, zone).strftime("%Y-%m-%d %H:%M"),
            timezone.localtime(m.slot.ends_at, zone).strftime("%H:%M"),
            m.table.name,
            m.request.sender.name,
            m.request.receiver.name,
            "yes" if m.request.is_mutual else "no",
            m.request.score,
            "yes" if m.pinned else "no",
            m.source,
        ]


@require_safe
@staff_member_required
def export(request, pk, fmt):
    """The event's meetings as CSV or XLSX (text cells never run as formulas)."""
    event = get_object_or_404(Event, pk=pk)
    filename = f"event-{event.pk}-meetings.{fmt}"
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        writer = csv_writer(response)
        writer.writerow(EXPORT_HEADER)
        for row in _export_rows(event):
            writer.writerow(row)
    else:
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "meetings"
        sheet.append(EXPORT_HEADER)
        for row in _export_rows(event):
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, never a formula
        out = io.BytesIO()
        book.save(out)
        response = HttpResponse(
            out.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
