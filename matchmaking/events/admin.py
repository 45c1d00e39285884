from django.contrib import admin

from matchmaking.events import services
from matchmaking.events.models import (
    Event,
    EventDay,
    Meeting,
    MeetingBlock,
    MeetingRequest,
    Participant,
    SchedulerRun,
    Table,
)


class EventDayInline(admin.TabularInline):
    model = EventDay
    extra = 0


class TableInline(admin.TabularInline):
    model = Table
    extra = 0


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "city",
        "is_online",
        "registration_deadline",
        "scheduling",
        "request_mode",
    ]
    inlines = [EventDayInline, TableInline]


@admin.register(MeetingBlock)
class MeetingBlockAdmin(admin.ModelAdmin):
    list_display = ["__str__", "slot_minutes", "breaks"]
    list_filter = ["day__event"]

    def save_model(self, request, obj, form, change):
        """A new block gets its slots. A block's slots are cut once: to change its times,
        delete it (refused while it has meetings) and add a new one."""
        super().save_model(request, obj, form, change)
        services.make_slots(obj.day.event)

    def get_readonly_fields(self, request, obj=None):
        return ["day", "start", "end", "slot_minutes", "breaks"] if obj else []


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["__str__", "event", "max_meetings", "checked_in_at", "no_show"]
    list_filter = ["event"]
    list_select_related = ["organisation", "cluster", "event"]
    raw_id_fields = ["organisation", "cluster", "registered_by"]


@admin.register(MeetingRequest)
class MeetingRequestAdmin(admin.ModelAdmin):
    list_display = ["__str__", "event", "status", "is_mutual", "score", "expires_at"]
    list_filter = ["event", "status"]
    raw_id_fields = ["sender", "receiver"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["__str__", "pinned", "source"]
    list_filter = ["event", "pinned"]
    raw_id_fields = ["request", "slot", "table"]


@admin.register(SchedulerRun)
class SchedulerRunAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "scheduled", "kept", "created", "finished_at"]
    readonly_fields = ["progress", "unschedulable"]
