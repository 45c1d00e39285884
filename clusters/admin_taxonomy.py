"""Curation of the taxonomy the profiles and the interests are written in: states, sectors
(with their strongholds and facts), sector labels, ecosystems, programmes.

Registered by ``clusters.admin``. What scoring reads of it (a sector's strongholds and
ecosystems) is announced by ``sector_rules_changed`` whenever staff change it, and a state or
sector that an interest or a profile uses cannot be deleted: that would silently change a
user's stated interests or a profile's sectors.
"""

from django.contrib import admin
from django.db import transaction
from django.utils.translation import ngettext_lazy

from clusters.models import (
    Ecosystem,
    Programme,
    Sector,
    SectorFact,
    SectorLabel,
    SectorStronghold,
    State,
)
from clusters.signals import sector_rules_changed


class KeptWhileInUse:
    """A ModelAdmin mixin: a record that ``in_use_by`` still names cannot be deleted, from
    its delete page or the bulk action. The admin lists what uses it as "protected", as it
    does for a PROTECT foreign key, and deletes nothing.

    ``in_use_by``: (related name, message with a ``count``) of each reverse relation that
    keeps a record."""

    in_use_by: tuple[tuple[str, str], ...] = ()

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for obj in objs:
            for related_name, message in self.in_use_by:
                count = getattr(obj, related_name).count()
                if count:
                    protected.append(f"{obj}: {message % {'count': count}}")
        return deleted, counts, perms_needed, protected


CHOSEN_BY_INTERESTS = ngettext_lazy(
    "chosen by %(count)d interest", "chosen by %(count)d interests", "count"
)


@admin.register(State)
class StateAdmin(KeptWhileInUse, admin.ModelAdmin):
    list_display = ["code", "name", "briefing_name"]
    search_fields = ["code", "name", "briefing_name"]
    # Its clusters keep it by their PROTECT foreign key; its strongholds are Table 2's.
    in_use_by = (
        ("interests", CHOSEN_BY_INTERESTS),
        (
            "strongholds",
            ngettext_lazy(
                "a stronghold of %(count)d sector (Table 2)",
                "a stronghold of %(count)d sectors (Table 2)",
                "count",
            ),
        ),
    )


class SectorStrongholdInline(admin.TabularInline):
    model = SectorStronghold
    extra = 0
    autocomplete_fields = ["state"]


class SectorFactInline(admin.StackedInline):
    model = SectorFact
    extra = 0


@admin.register(Sector)
class SectorAdmin(KeptWhileInUse, admin.ModelAdmin):
    list_display = ["name_en", "name_es", "slug", "is_promexico_priority"]
    list_filter = ["is_promexico_priority", "ecosystems"]
    search_fields = ["name_en", "name_es", "slug"]
    filter_horizontal = ["ecosystems"]
    inlines = [SectorStrongholdInline, SectorFactInline]
    in_use_by = (
        ("interests", CHOSEN_BY_INTERESTS),
        (
            "clusters",
            ngettext_lazy("in %(count)d cluster profile", "in %(count)d cluster profiles", "count"),
        ),
    )

    def save_model(self, request, obj, form, change):
        obj._rules_before = scoring_rules(obj) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        sector = form.instance
        before = getattr(sector, "_rules_before", None)
        after = scoring_rules(sector)
        if before is not None and before != after:
            sector_rules_changed.send(
                sender=Sector, sector_slugs=sorted({sector.slug} | before[2] | after[2])
            )


def scoring_rules(sector: Sector) -> tuple[frozenset, frozenset, frozenset]:
    """What scoring reads of ``sector``: its strongholds' states, its ecosystems, and the
    sectors sharing one with it."""
    return (
        frozenset(sector.strongholds.values_list("state_id", flat=True)),
        frozenset(sector.ecosystems.values_list("pk", flat=True)),
        frozenset(Sector.objects.filter(ecosystems__sectors=sector).values_list("slug", flat=True)),
    )


@admin.register(SectorLabel)
class SectorLabelAdmin(admin.ModelAdmin):
    list_display = ["label", "source"]
    search_fields = ["label"]
    filter_horizontal = ["sectors"]


@admin.register(Ecosystem)
class EcosystemAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]

    # Deleting an ecosystem ends the relation between its sectors (related sectors score for
    # each other): their interests are matched again, as after a sector's ecosystems change.
    def delete_model(self, request, obj):
        self.delete_queryset(request, Ecosystem.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            slugs = sorted(
                set(Sector.objects.filter(ecosystems__in=queryset).values_list("slug", flat=True))
            )
            queryset.delete()
            if slugs:
                sector_rules_changed.send(sender=Ecosystem, sector_slugs=slugs)


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "relation", "field", "website"]
    search_fields = ["name", "field"]
