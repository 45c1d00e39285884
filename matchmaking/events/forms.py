"""Forms of the events: staff set-up and moves, registration, requests, answers, feedback."""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clusters.models import Claim, Cluster
from matchmaking.events.models import TIME_ZONES, Event, MeetingBlock, Participant, parse_breaks
from matchmaking.events.services import table_names

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class EventForm(forms.ModelForm):
    """An event with the same meeting block on each of its days."""

    time_zone = forms.ChoiceField(label=_("Time zone"), choices=[(z, z) for z in TIME_ZONES])
    registration_deadline = forms.DateTimeField(
        label=_("Registration deadline"),
        help_text=_("In the event's time zone."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    dates = forms.CharField(
        label=_("Days"), help_text=_("Dates separated by commas, e.g. 2027-10-20, 2027-10-21")
    )
    start = forms.TimeField(
        label=_("Meetings start"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    end = forms.TimeField(label=_("Meetings end"), widget=forms.TimeInput(attrs={"type": "time"}))
    slot_minutes = forms.IntegerField(
        label=_("Slot length (minutes)"), min_value=5, max_value=240, initial=30
    )
    breaks = forms.CharField(
        label=_("Breaks"), required=False, help_text=_("For example 12:00-13:00, 15:30-15:45")
    )
    tables = forms.CharField(
        label=_("Tables"),
        help_text=_("A number (12) or names separated by commas (Sala A, Sala B)"),
    )

    class Meta:
        model = Event
        fields = [
            "name", "venue", "city", "is_online", "time_zone", "registration_deadline",
            "audience", "scheduling", "request_mode", "participants_published",
        ]  # fmt: skip

    def clean_dates(self):
        try:
            dates = sorted(
                {
                    dt.date.fromisoformat(d.strip())
                    for d in self.cleaned_data["dates"].split(",")
                    if d.strip()
                }
            )
        except ValueError as exc:
            raise ValidationError(_("Write dates as 2027-10-20, separated by commas.")) from exc
        if not dates:
            raise ValidationError(_("Give at least one day."))
        return dates

    def clean_breaks(self):
        parse_breaks(self.cleaned_data["breaks"])
        return self.cleaned_data["breaks"]

    def clean_tables(self):
        names = table_names(self.cleaned_data["tables"])
        if not names:
            raise ValidationError(_("Give at least one table."))
        if len(names) > 1000:
            raise ValidationError(_("At most 1,000 tables."))
        if len(set(names)) != len(names):
            raise ValidationError(_("Each table needs its own name."))
        return names

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", _("The meetings must end after they start."))
        if not data.get("is_online") and not data.get("city"):
            self.add_error("city", _("Give the city, or mark the event online."))
        deadline, zone = data.get("registration_deadline"), data.get("time_zone")
        if deadline and zone:
            naive = timezone.make_naive(deadline) if timezone.is_aware(deadline) else deadline
            data["registration_deadline"] = naive.replace(tzinfo=Event(time_zone=zone).zone)
        return data


class BlocksField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, block):
        return str(block)


class RegistrationForm(forms.Form):
    identity = forms.ChoiceField(label=_("Register as"))
    blocks = BlocksField(label=_("Meeting blocks you attend"), queryset=MeetingBlock.objects.none())
    max_meetings = forms.IntegerField(
        label=_("Most meetings you want"), min_value=1, max_value=100, initial=12
    )

    def __init__(self, *args, event, identities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["identity"].choices = identities
        self.fields["blocks"].queryset = MeetingBlock.objects.filter(
            day__event=event
        ).select_related("day")


def unclaimed_clusters(event: Event):
    """Published clusters without an approved manager, not yet registered for ``event``."""
    claimed = Claim.objects.approved().filter(cluster=OuterRef("pk"))
    registered = Participant.objects.filter(event=event, cluster=OuterRef("pk"))
    return Cluster.objects.published().exclude(Exists(claimed)).exclude(Exists(registered))


class StaffRegistrationForm(forms.Form):
    """Staff register an unclaimed Mexican cluster on its behalf."""

    cluster = forms.ModelChoiceField(label=_("Cluster"), queryset=Cluster.objects.none())
    contact_email = forms.EmailField(label=_("Contact email"), required=False)
    blocks = BlocksField(label=_("Meeting blocks it attends"), queryset=MeetingBlock.objects.none())
    max_meetings = forms.IntegerField(
        label=_("Most meetings"), min_value=1, max_value=100, initial=12
    )

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cluster"].queryset = unclaimed_clusters(event).order_by("name")
        self.fields["blocks"].queryset = MeetingBlock.objects.filter(
            day__event=event
        ).select_related("day")


class RequestForm(forms.Form):
    message = forms.CharField(
        label=_("Message"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AcceptForm(forms.Form):
    slot = forms.ModelChoiceField(label=_("Time"), queryset=None, empty_label=None)

    def __init__(self, *args, slots, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = slots
        zone = event.zone
        self.fields["slot"].label_from_instance = lambda slot: (
            f"{timezone.localtime(slot.starts_at, zone):%Y-%m-%d %H:%M}–"
            f"{timezone.localtime(slot.ends_at, zone):%H:%M}"
        )


class MoveForm(forms.Form):
    slot = forms.ModelChoiceField(label=_("Time"), queryset=None)
    table = forms.ModelChoiceField(label=_("Table"), queryset=None)
    pinned = forms.BooleanField(label=_("Pinned"), required=False, initial=True)

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = event.slots.all()
        self.fields["table"].queryset = event.tables.all()


class FeedbackForm(forms.Form):
    useful = forms.TypedChoiceField(
        label=_("Was this meeting useful?"), choices=YES_NO, widget=forms.RadioSelect,
        coerce=lambda v: v == "yes",
    )  # fmt: skip
    follow_up = forms.TypedChoiceField(
        label=_("Is a follow-up planned?"), choices=YES_NO, widget=forms.RadioSelect,
        coerce=lambda v: v == "yes",
    )  # fmt: skip
