"""Curation of the Mexican cluster profiles by programme staff."""

import functools

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clusters import admin_views, profile
from clusters.history import record_changes
from clusters.models import (
    Cluster,
    ClusterName,
    ClusterRevision,
    QualityLabel,
)
from clusters.signals import clusters_changed, clusters_deleting
from clusters.staleness import needs_verification


class ClusterNameInline(admin.TabularInline):
    model = ClusterName
    extra = 0


class QualityLabelInline(admin.TabularInline):
    model = QualityLabel
    extra = 0
    fields = ["level", "is_valid", "validity_note", "listed_name", "sector_label", "source"]


class LabelFilter(admin.SimpleListFilter):
    title = _("ESCA label")
    parameter_name = "label"

    def lookups(self, request, model_admin):
        return [
            ("valid", _("Holds a valid label")),
            ("lapsed", _("Only lapsed labels")),
            ("none", _("No label")),
            *[(level, label) for level, label in QualityLabel.Level.choices],
        ]

    def queryset(self, request, queryset):
        labels = QualityLabel.objects.filter(cluster=OuterRef("pk"))
        value = self.value()
        if value == "valid":
            return queryset.filter(Exists(labels.filter(is_valid=True)))
        if value == "lapsed":
            return queryset.filter(Exists(labels)).exclude(Exists(labels.filter(is_valid=True)))
        if value == "none":
            return queryset.exclude(Exists(labels))
        if value in QualityLabel.Level.values:
            return queryset.filter(Exists(labels.filter(level=value)))
        return queryset


class NeedsVerificationFilter(admin.SimpleListFilter):
    title = _("verification")
    parameter_name = "verification"

    def lookups(self, request, model_admin):
        return [
            ("stale", _("Needs verification (never, or over 12 months ago)")),
            ("fresh", _("Verified in the last 12 months")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "stale":
            return queryset.filter(needs_verification())
        if self.value() == "fresh":
            return queryset.exclude(needs_verification())
        return queryset


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "acronym",
        "state",
        "sector_list",
        "label_list",
        "is_published",
        "last_verified",
        "is_curated",
    ]
    list_filter = [
        "state",
        "sectors",
        LabelFilter,
        NeedsVerificationFilter,
        "is_published",
        "is_formally_organised",
        ("last_verified", admin.DateFieldListFilter),
        "is_curated",
    ]
    search_fields = ["name", "acronym", "other_names__name", "search_text"]
    autocomplete_fields = ["state", "sectors"]
    inlines = [ClusterNameInline, QualityLabelInline]
    readonly_fields = ["created", "updated", "is_curated", "logo", "provided_on"]
    actions = [
        "publish",
        "unpublish",
        "mark_verified_today",
        "export_csv",
        "export_xlsx",
        "merge_two",
    ]
    change_list_template = "admin/clusters/cluster/change_list.html"
    object_history_template = "admin/clusters/cluster/object_history.html"
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["name", "acronym", "slug", "state", "sectors", "sector_label"]}),
        (
            _("Profile"),
            {
                "fields": [
                    "website",
                    "website_kind",
                    "description",
                    ("members", "members_qualifier"),
                    ("companies", "companies_qualifier"),
                    "founded_year",
                    "exports_usd_millions",
                    "figures_note",
                    "is_formally_organised",
                ]
            },
        ),
        (
            _("Provided by the cluster"),
            {
                "classes": ["collapse"],
                "fields": [
                    "provided_description_es",
                    "provided_description_en",
                    "provided_offers",
                    "provided_seeks",
                    "provided_members",
                    "provided_companies",
                    "provided_figures_year",
                    "provided_website",
                    "provided_contact",
                    "logo",
                    "provided_on",
                ],
            },
        ),
        (
            _("Curation"),
            {
                "fields": [
                    "source",
                    "last_verified",
                    "is_published",
                    "is_curated",
                    "created",
                    "updated",
                ]
            },
        ),
    ]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("state")
            .prefetch_related("sectors", "labels")
        )

    @admin.display(description=_("sectors"))
    def sector_list(self, cluster):
        return ", ".join(sector.name for sector in cluster.sectors.all())

    @admin.display(description=_("labels"))
    def label_list(self, cluster):
        return ", ".join(str(label) for label in cluster.labels.all())

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(functools.partial(function, model_admin=self))

        return [
            path("import/", view(admin_views.import_view), name="clusters_cluster_import"),
            path(
                "import/confirm/",
                view(admin_views.import_confirm_view),
                name="clusters_cluster_import_confirm",
            ),
            path("export/", view(admin_views.export_view), name="clusters_cluster_export"),
            path("merge/", view(admin_views.merge_view), name="clusters_cluster_merge"),
            path(
                "<int:object_id>/history/<int:revision_id>/revert/",
                view(admin_views.revert_view),
                name="clusters_cluster_revert",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        stale = Cluster.objects.filter(needs_verification()).count()
        return super().changelist_view(request, {"stale_count": stale, **(extra_context or {})})

    def history_view(self, request, object_id, extra_context=None):
        cluster = self.get_object(request, object_id)
        extra = admin_views.history_context(cluster) if cluster else {}
        return super().history_view(request, object_id, {**extra, **(extra_context or {})})

    # Every change below records a revision (clusters.history) and tells other apps.

    def save_model(self, request, obj, form, change):
        obj.is_curated = True
        obj._profile_before = profile.snapshots([obj.pk]).get(obj.pk) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        cluster = form.instance
        cluster.refresh_search_text()
        action = ClusterRevision.Action.EDIT if change else ClusterRevision.Action.CREATE
        record_changes(
            {cluster.pk: getattr(cluster, "_profile_before", None)},
            user=request.user,
            action=action,
        )
        clusters_changed.send(sender=Cluster, cluster_ids=[cluster.pk])

    def delete_model(self, request, obj):
        with transaction.atomic():
            clusters_deleting.send(sender=Cluster, cluster_ids=[obj.pk])
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            ids = list(queryset.values_list("pk", flat=True))
            clusters_deleting.send(sender=Cluster, cluster_ids=ids)
            super().delete_queryset(request, queryset)

    def _update_with_history(self, request, queryset, comment: str, **values) -> list[int]:
        ids = list(queryset.values_list("pk", flat=True))
        befores = profile.snapshots(ids)
        Cluster.objects.filter(pk__in=ids).update(is_curated=True, updated=timezone.now(), **values)
        record_changes(
            befores, user=request.user, action=ClusterRevision.Action.ACTION, comment=comment
        )
        return ids

    def _set_published(self, request, queryset, published: bool):
        comment = _("Published") if published else _("Unpublished")
        ids = self._update_with_history(request, queryset, comment, is_published=published)
        count = len(ids)
        clusters_changed.send(sender=Cluster, cluster_ids=ids)
        message = (
            ngettext("%d cluster published.", "%d clusters published.", count)
            if published
            else ngettext("%d cluster unpublished.", "%d clusters unpublished.", count)
        )
        self.message_user(request, message % count, messages.SUCCESS)

    @admin.action(description=_("Publish selected clusters"))
    def publish(self, request, queryset):
        self._set_published(request, queryset, True)

    @admin.action(description=_("Unpublish selected clusters"))
    def unpublish(self, request, queryset):
        self._set_published(request, queryset, False)

    @admin.action(description=_("Mark selected clusters as verified today"))
    def mark_verified_today(self, request, queryset):
        count = len(
            self._update_with_history(
                request, queryset, _("Marked verified"), last_verified=timezone.localdate()
            )
        )
        self.message_user(
            request,
            ngettext("%d cluster marked verified.", "%d clusters marked verified.", count) % count,
            messages.SUCCESS,
        )

    @admin.action(description=_("Export selected clusters as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        return admin_views.export_response(queryset, "csv")

    @admin.action(description=_("Export selected clusters as XLSX"), permissions=["view"])
    def export_xlsx(self, request, queryset):
        return admin_views.export_response(queryset, "xlsx")

    @admin.action(
        description=_("Merge two records of the same cluster"), permissions=["change", "delete"]
    )
    def merge_two(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True)[:3])
        if len(ids) != 2:
            count = queryset.count()
            self.message_user(
                request,
                ngettext(
                    "Select exactly two clusters to merge; %d was selected.",
                    "Select exactly two clusters to merge; %d were selected.",
                    count,
                )
                % count,
                messages.ERROR,
            )
            return None
        return redirect(admin_views.merge_url(ids))


# The taxonomy's admins (states, sectors, labels, ecosystems, programmes) register there.
from clusters import admin_claims, admin_taxonomy  # noqa: E402, F401
