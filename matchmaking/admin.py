from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.db.models import CharField, Count, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clusters.models import Cluster
from matchmaking import introductions, services
from matchmaking.models import (
    Interest,
    Introduction,
    MatchRun,
    Organisation,
    PendingClusterChange,
    Suggestion,
)
from matchmaking.views.staff import introductions_csv_response


class VerifiedFilter(admin.SimpleListFilter):
    title = _("email verified")
    parameter_name = "verified"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(email_verified_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(email_verified_at__isnull=True)
        return queryset


class InterestInline(admin.TabularInline):
    model = Interest
    fields = ["title", "is_active", "changed_at", "matched_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "email",
        "country",
        "language",
        "kind",
        "is_verified",
        "interest_count",
        "created",
    ]
    list_filter = [
        "country",
        "language",
        "kind",
        VerifiedFilter,
        "notify_by_email",
        "visible_to_clusters",
    ]
    search_fields = ["name", "user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    readonly_fields = ["consent_at", "consent_version", "email_verified_at", "created"]
    date_hierarchy = "created"
    inlines = [InterestInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(interest_count=Count("interests"))

    @admin.display(description=_("email"), ordering="user__email")
    def email(self, organisation):
        return organisation.user.email

    @admin.display(description=_("verified"), boolean=True, ordering="email_verified_at")
    def is_verified(self, organisation):
        return organisation.email_verified_at is not None

    @admin.display(description=_("interests"), ordering="interest_count")
    def interest_count(self, organisation):
        return organisation.interest_count


class SuggestionInline(admin.TabularInline):
    model = Suggestion
    fields = ["cluster", "score", "status", "status_changed_at", "is_current", "computed_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-score"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class InterestAdminForm(forms.ModelForm):
    kinds = forms.MultipleChoiceField(
        label=_("kinds of cooperation"),
        choices=Interest.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Interest
        fields = ["organisation", "title", "sectors", "states", "kinds", "description", "is_active"]


@admin.register(Interest)
class InterestAdmin(admin.ModelAdmin):
    form = InterestAdminForm
    list_display = ["title", "organisation", "is_active", "changed_at", "matched_at", "computing"]
    list_filter = ["is_active", "sectors", "matched_version"]
    search_fields = ["title", "description", "organisation__name"]
    list_select_related = ["organisation"]
    filter_horizontal = ["sectors", "states"]
    raw_id_fields = ["organisation"]
    readonly_fields = ["created", "changed_at", "matched_at", "matched_version"]
    inlines = [SuggestionInline]
    actions = ["rematch"]

    @admin.display(description=_("computing"), boolean=True)
    def computing(self, interest):
        return interest.is_computing

    def save_related(self, request, form, formsets, change):
        """After the admin saved an interest and its sectors/states: re-score it."""
        super().save_related(request, form, formsets, change)
        services.request_rematch(interest_ids=[form.instance.pk])

    @admin.action(description=_("Re-match now"))
    def rematch(self, request, queryset):
        count = services.request_rematch(interest_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext(
                "%(count)d interest queued for matching.",
                "%(count)d interests queued for matching (paused ones skipped).",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    """Computed by the engine, marked by the organisation: staff read, never edit."""

    list_display = [
        "cluster",
        "interest",
        "organisation",
        "score",
        "status",
        "status_changed_at",
        "is_current",
        "engine_version",
    ]
    list_filter = ["status", "engine_version", "is_current"]
    search_fields = ["cluster__name", "interest__title", "interest__organisation__name"]
    list_select_related = ["cluster", "interest__organisation"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("organisation"), ordering="interest__organisation__name")
    def organisation(self, suggestion):
        return suggestion.interest.organisation


def _named_by_subject(model, word: str, field: str) -> Subquery:
    """The ``field`` of the ``model`` row a run's subject names as "<word> <id>"."""
    keyed = model.objects.annotate(
        subject_key=Concat(Value(f"{word} "), Cast("pk", CharField()), output_field=CharField())
    )
    return Subquery(keyed.filter(subject_key=OuterRef("subject")).values(field)[:1])


@admin.register(MatchRun)
class MatchRunAdmin(admin.ModelAdmin):
    list_display = [
        "started_at",
        "trigger",
        "matched",
        "status",
        "finished_at",
        "interests_scored",
        "suggestions_stored",
        "new_suggestions",
        "emails_sent",
        "short_error",
    ]
    list_filter = ["trigger", "status"]
    search_fields = ["subject", "error"]
    date_hierarchy = "started_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        """Each run with the name of the cluster or the title of the interest it matched
        ("cluster 88" names it by id), in the list's one query."""
        return (
            super()
            .get_queryset(request)
            .annotate(
                cluster_name=_named_by_subject(Cluster, "cluster", "name"),
                interest_title=_named_by_subject(Interest, "interest", "title"),
            )
        )

    @admin.display(description=_("what it matched"), ordering="subject")
    def matched(self, run):
        if getattr(run, "cluster_name", None):
            return _("Cluster: %(name)s") % {"name": run.cluster_name}
        if getattr(run, "interest_title", None):
            return _("Interest: %(title)s") % {"title": run.interest_title}
        return run.subject

    @admin.display(description=_("error"))
    def short_error(self, run):
        return run.error[:120]


@admin.register(PendingClusterChange)
class PendingClusterChangeAdmin(admin.ModelAdmin):
    """Cluster changes whose suggestions are not yet updated: normally empty within seconds;
    rows that stay mean the workers or the broker are down (the sweep re-sends them)."""

    list_display = ["cluster", "requested_at"]
    list_select_related = ["cluster"]
    ordering = ["requested_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AgeFilter(admin.SimpleListFilter):
    title = _("age")
    parameter_name = "age"
    DAYS = {"week": (0, 7), "fortnight": (7, 14), "older": (14, None)}

    def lookups(self, request, model_admin):
        return [
            ("week", _("Less than 7 days")),
            ("fortnight", _("7 to 14 days")),
            ("older", _("More than 14 days")),
        ]

    def queryset(self, request, queryset):
        if self.value() not in self.DAYS:
            return queryset
        newest, oldest = self.DAYS[self.value()]
        now = timezone.now()
        queryset = queryset.filter(created__lte=now - timedelta(days=newest))
        if oldest is not None:
            queryset = queryset.filter(created__gt=now - timedelta(days=oldest))
        return queryset


class StaffQueueFilter(admin.SimpleListFilter):
    title = _("staff queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("staff", _("Open, to a cluster with no manager"))]

    def queryset(self, request, queryset):
        if self.value() == "staff":
            return queryset.waiting_for_staff()
        return queryset


@admin.register(Introduction)
class IntroductionAdmin(admin.ModelAdmin):
    """Every introduction; the staff queue (clusters with no manager) is a filter."""

    list_display = [
        "pk",
        "organisation",
        "cluster",
        "direction",
        "status",
        "created",
        "expires_at",
        "outcome",
        "reported_spam_at",
    ]
    list_filter = [
        StaffQueueFilter,
        "status",
        AgeFilter,
        "direction",
        "outcome",
        ("cluster__sectors", admin.RelatedOnlyFieldListFilter),
        "organisation__country",
        ("cluster", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["organisation__name", "cluster__name", "message"]
    list_select_related = ["organisation", "cluster"]
    date_hierarchy = "created"
    raw_id_fields = ["organisation", "cluster", "interest"]
    readonly_fields = [
        "organisation",
        "cluster",
        "interest",
        "direction",
        "requested_by",
        "message",
        "kinds",
        "status",
        "created",
        "expires_at",
        "reminded_at",
        "nudged_at",
        "answered_at",
        "answered_by",
        "decline_reason",
        "by_staff",
        "invited_to_claim_at",
        "reported_spam_at",
        "outcome_at",
        "outcome_by",
    ]
    fields = [*readonly_fields[:16], "staff_note", "outcome", *readonly_fields[16:]]
    actions = ["nudge", "close", "introduce_by_hand", "invite_to_claim", "export_csv"]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        if "outcome" in form.changed_data:
            if obj.outcome and not obj.is_accepted:
                messages.error(request, _("An outcome needs an accepted introduction."))
                obj.outcome = ""
            else:
                obj.outcome_at, obj.outcome_by = timezone.now(), request.user
        super().save_model(request, obj, form, change)

    def _done(self, request, count: int, text: str) -> None:
        self.message_user(request, text % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Nudge: remind the side that was asked"))
    def nudge(self, request, queryset):
        self._done(request, introductions.nudge(introductions=queryset), _("%(count)d nudged."))

    @admin.action(description=_("Close the selected open requests"))
    def close(self, request, queryset):
        self._done(request, introductions.close(introductions=queryset), _("%(count)d closed."))

    @admin.action(description=_("Record: introduced by hand by the programme team"))
    def introduce_by_hand(self, request, queryset):
        count = introductions.introduce_by_staff(introductions=queryset, user=request.user)
        self._done(request, count, _("%(count)d recorded as introduced by hand."))

    @admin.action(description=_("Record: cluster invited to claim its profile"))
    def invite_to_claim(self, request, queryset):
        count = introductions.invited_to_claim(introductions=queryset)
        self._done(request, count, _("%(count)d recorded as invited to claim."))

    @admin.action(description=_("Export as CSV"))
    def export_csv(self, request, queryset):
        return introductions_csv_response(
            services.introductions_for_csv().filter(pk__in=queryset.values("pk"))
        )
