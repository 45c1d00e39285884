"""Curation of the Mexican cluster profiles by programme staff."""

from django.contrib import admin, messages
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clusters.models import (
    Cluster,
    ClusterName,
    Ecosystem,
    Programme,
    QualityLabel,
    Sector,
    SectorFact,
    SectorLabel,
    SectorStronghold,
    State,
)
from clusters.signals import clusters_changed


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
        "is_published",
        "is_formally_organised",
        ("last_verified", admin.DateFieldListFilter),
        "is_curated",
    ]
    search_fields = ["name", "acronym", "other_names__name", "search_text"]
    autocomplete_fields = ["state", "sectors"]
    inlines = [ClusterNameInline, QualityLabelInline]
    readonly_fields = ["created", "updated", "is_curated"]
    actions = ["publish", "unpublish", "mark_verified_today"]
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["name", "acronym", "slug", "state", "sectors", "sector_label"]}),
        (
            _("Profile"),
            {
                "fields": [
                    "website",
                    "description",
                    "members",
                    "companies",
                    "founded_year",
                    "exports_usd_millions",
                    "figures_note",
                    "is_formally_organised",
                ]
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

    def save_model(self, request, obj, form, change):
        obj.is_curated = True
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        form.instance.refresh_search_text()
        clusters_changed.send(sender=Cluster, cluster_ids=[form.instance.pk])

    def delete_model(self, request, obj):
        # Suggestions of a deleted cluster go with it (cascade); nothing to re-score.
        super().delete_model(request, obj)

    def _set_published(self, request, queryset, published: bool):
        ids = list(queryset.values_list("pk", flat=True))
        count = queryset.update(is_published=published, is_curated=True, updated=timezone.now())
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
        count = queryset.update(
            last_verified=timezone.localdate(), is_curated=True, updated=timezone.now()
        )
        self.message_user(
            request,
            ngettext("%d cluster marked verified.", "%d clusters marked verified.", count) % count,
            messages.SUCCESS,
        )


@admin.register(State)
class StateAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "briefing_name"]
    search_fields = ["code", "name", "briefing_name"]


class SectorStrongholdInline(admin.TabularInline):
    model = SectorStronghold
    extra = 0
    autocomplete_fields = ["state"]


class SectorFactInline(admin.StackedInline):
    model = SectorFact
    extra = 0


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["name_en", "name_es", "slug", "is_promexico_priority"]
    list_filter = ["is_promexico_priority", "ecosystems"]
    search_fields = ["name_en", "name_es", "slug"]
    filter_horizontal = ["ecosystems"]
    inlines = [SectorStrongholdInline, SectorFactInline]


@admin.register(SectorLabel)
class SectorLabelAdmin(admin.ModelAdmin):
    list_display = ["label", "source"]
    search_fields = ["label"]
    filter_horizontal = ["sectors"]


@admin.register(Ecosystem)
class EcosystemAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "relation", "field", "website"]
    search_fields = ["name", "field"]
