"""Brokerage events: days, meeting blocks and their slots, tables, participants, requests,
meetings. The database holds the booking rules: one meeting per participant per slot
(``MeetingSeat``) and one per table per slot (``Meeting``)."""

import datetime as dt
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clusters.models import Cluster
from matchmaking.models import Organisation

TIME_ZONES = sorted(available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in TIME_ZONES:
        raise ValidationError(_("Unknown time zone: %(value)s"), params={"value": value})


class Event(models.Model):
    class Audience(models.TextChoices):
        EVERYONE = "everyone", _("European organisations and Mexican clusters")
        ORGANISATIONS = "organisations", _("European organisations only")
        CLUSTERS = "clusters", _("Mexican clusters only")

    class Scheduling(models.TextChoices):
        PARTICIPANTS = "participants", _("Participants choose a slot on acceptance")
        ORGANISERS = "organisers", _("Organisers schedule all meetings")

    class Requests(models.TextChoices):
        OPT_IN = "opt_in", _("The receiver accepts or declines")
        AUTOMATIC = "automatic", _("Accepted automatically")

    name = models.CharField(_("name"), max_length=200)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    is_online = models.BooleanField(_("online"), default=False)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="America/Mexico_City",
        validators=[validate_time_zone],
    )
    registration_deadline = models.DateTimeField(_("registration deadline"))
    audience = models.CharField(
        _("who may take part"), max_length=16, choices=Audience.choices, default=Audience.EVERYONE
    )
    scheduling = models.CharField(
        _("scheduling"), max_length=16, choices=Scheduling.choices, default=Scheduling.ORGANISERS
    )
    request_mode = models.CharField(
        _("meeting requests"), max_length=16, choices=Requests.choices, default=Requests.OPT_IN
    )
    participants_published = models.BooleanField(_("participant list published"), default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-registration_deadline"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_online=True) | ~Q(city=""), name="events_event_city_or_online"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("events:event", args=[self.pk])

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def registration_open(self) -> bool:
        return timezone.now() <= self.registration_deadline

    def accepts(self, *, is_cluster: bool) -> bool:
        if self.audience == self.Audience.EVERYONE:
            return True
        return is_cluster == (self.audience == self.Audience.CLUSTERS)


class EventDay(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["event", "date"], name="events_day_unique_date"),
        ]

    def __str__(self):
        return f"{self.event} {self.date:%Y-%m-%d}"


def parse_breaks(text: str) -> list[tuple[dt.time, dt.time]]:
    """ "12:00-13:00, 15:30-15:45" -> [(12:00, 13:00), (15:30, 15:45)]."""
    breaks = []
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        try:
            start, end = (dt.time.fromisoformat(t.strip()) for t in part.split("-"))
        except ValueError as exc:
            raise ValidationError(_("Write breaks as 12:00-13:00, separated by commas.")) from exc
        if end <= start:
            raise ValidationError(_("A break must end after it starts."))
        breaks.append((start, end))
    return breaks


class MeetingBlock(models.Model):
    """A stretch of a day with one-to-one meetings, cut into slots of equal length."""

    day = models.ForeignKey(EventDay, on_delete=models.CASCADE, related_name="blocks")
    name = models.CharField(_("name"), max_length=100, blank=True)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=30)
    breaks = models.CharField(
        _("breaks"), max_length=200, blank=True, help_text=_("For example 12:00-13:00, 15:30-15:45")
    )

    class Meta:
        ordering = ["day__date", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="events_block_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5, slot_minutes__lte=240),
                name="events_block_slot_length",
            ),
        ]

    def __str__(self):
        label = self.name or f"{self.start:%H:%M}-{self.end:%H:%M}"
        return f"{self.day.date:%Y-%m-%d} {label}"

    def clean(self):
        parse_breaks(self.breaks)

    def slot_times(self) -> list[tuple[dt.datetime, dt.datetime]]:
        """Aware start and end of each slot, in the event's time zone; no slot overlaps a break
        or passes the end."""
        zone = self.day.event.zone
        breaks = [
            (
                dt.datetime.combine(self.day.date, s, zone),
                dt.datetime.combine(self.day.date, e, zone),
            )
            for s, e in parse_breaks(self.breaks)
        ]
        length = dt.timedelta(minutes=self.slot_minutes)
        moment = dt.datetime.combine(self.day.date, self.start, zone)
        end = dt.datetime.combine(self.day.date, self.end, zone)
        slots = []
        while moment + length <= end:
            overlapping = [
                b_end for b_start, b_end in breaks if b_start < moment + length and moment < b_end
            ]
            if overlapping:
                moment = max(overlapping)
                continue
            slots.append((moment, moment + length))
            moment += length
        return slots


class Slot(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="slots")
    block = models.ForeignKey(MeetingBlock, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["event", "starts_at"], name="events_slot_unique_start"),
        ]

    def __str__(self):
        local = timezone.localtime(self.starts_at, self.event.zone)
        return f"{local:%Y-%m-%d %H:%M}"


class Table(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="tables")
    name = models.CharField(_("table"), max_length=60)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "name"], name="events_table_unique_name"),
        ]

    def __str__(self):
        return self.name


class ParticipantQuerySet(models.QuerySet):
    def for_user(self, user):
        """The participations ``user`` speaks for: their organisation's, and those of the
        clusters they manage (an approved claim)."""
        from clusters.models import Claim

        managed = Claim.objects.approved().filter(user=user).values("cluster_id")
        return self.filter(Q(organisation__user=user) | Q(cluster__in=managed))

    def for_list(self):
        return self.select_related("organisation", "cluster__state").prefetch_related(
            "cluster__sectors"
        )


class Participant(models.Model):
    """An organisation or a Mexican cluster taking part in an event (exactly one of both)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="participants")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="participations"
    )
    cluster = models.ForeignKey(
        Cluster, on_delete=models.CASCADE, null=True, blank=True, related_name="participations"
    )
    blocks = models.ManyToManyField(
        MeetingBlock, related_name="participants", verbose_name=_("meeting blocks you attend")
    )
    max_meetings = models.PositiveSmallIntegerField(_("most meetings you want"), default=12)
    contact_email = models.EmailField(_("contact email"), blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    no_show = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        ordering = ["event", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(organisation__isnull=False) & Q(cluster__isnull=True))
                | (Q(organisation__isnull=True) & Q(cluster__isnull=False)),
                name="events_participant_organisation_xor_cluster",
            ),
            models.UniqueConstraint(
                fields=["event", "organisation"], name="events_participant_unique_organisation"
            ),
            models.UniqueConstraint(
                fields=["event", "cluster"], name="events_participant_unique_cluster"
            ),
            models.CheckConstraint(
                condition=Q(max_meetings__gte=1), name="events_participant_max_meetings_positive"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return self.organisation.name if self.organisation_id else self.cluster.name

    @property
    def is_cluster(self) -> bool:
        return self.cluster_id is not None

    def email(self) -> str:
        if self.contact_email:
            return self.contact_email
        return self.organisation.email if self.organisation_id else ""


class MeetingRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="requests")
    sender = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="sent_requests")
    receiver = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="received_requests"
    )
    message = models.TextField(_("message"), max_length=1000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    is_mutual = models.BooleanField(default=False, help_text=_("Both sides asked for it."))
    score = models.PositiveSmallIntegerField(default=0, help_text=_("The engine's match score."))
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "receiver"], name="events_request_unique_pair"
            ),
            models.CheckConstraint(
                condition=~Q(sender=models.F("receiver")), name="events_request_not_to_self"
            ),
        ]
        indexes = [
            # The expiry sweep: pending requests past their expiry.
            models.Index(fields=["status", "expires_at"], name="events_request_expiry_idx"),
        ]

    def __str__(self):
        return f"{self.sender} → {self.receiver}"


class Meeting(models.Model):
    class Source(models.TextChoices):
        PARTICIPANTS = "participants", _("Chosen by the participants")
        SCHEDULER = "scheduler", _("Scheduler")
        STAFF = "staff", _("Staff")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="meetings")
    request = models.OneToOneField(MeetingRequest, on_delete=models.CASCADE, related_name="meeting")
    slot = models.ForeignKey(Slot, on_delete=models.RESTRICT, related_name="meetings")
    table = models.ForeignKey(Table, on_delete=models.RESTRICT, related_name="meetings")
    pinned = models.BooleanField(
        _("pinned"), default=False, help_text=_("The scheduler never moves it.")
    )
    source = models.CharField(max_length=12, choices=Source.choices)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slot__starts_at", "table__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "slot", "table"], name="events_meeting_unique_slot_table"
            ),
        ]

    def __str__(self):
        return f"{self.request} @ {self.slot} {self.table}"

    @property
    def is_fixed(self) -> bool:
        """Kept by a scheduler run: pinned by staff, or chosen by the participants."""
        return self.pinned or self.source == self.Source.PARTICIPANTS


class MeetingSeat(models.Model):
    """One participant's place in one meeting (two per meeting): what makes a participant's
    double booking impossible, and where their feedback after the event goes."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="seats")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="seats")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    slot = models.ForeignKey(Slot, on_delete=models.RESTRICT, related_name="+")
    useful = models.BooleanField(_("Was this meeting useful?"), null=True, blank=True)
    follow_up = models.BooleanField(_("Is a follow-up planned?"), null=True, blank=True)
    feedback_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["slot__starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "slot", "participant"], name="events_seat_unique_participant_slot"
            ),
            models.UniqueConstraint(
                fields=["meeting", "participant"], name="events_seat_unique_meeting_participant"
            ),
        ]

    def __str__(self):
        return f"{self.participant} @ {self.slot}"


class SchedulerRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="scheduler_runs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    time_limit = models.PositiveIntegerField(default=60)
    progress = models.JSONField(default=dict)
    scheduled = models.PositiveIntegerField(default=0)
    kept = models.PositiveIntegerField(default=0)
    unschedulable = models.JSONField(default=list)  # [{"request": id, "reason": code}]
    error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"{self.event} {self.created:%Y-%m-%d %H:%M} ({self.get_status_display()})"
