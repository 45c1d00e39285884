"""Pages for states, sectors and the EU–Mexico programmes."""

from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from clusters.i18n import sorted_by_name
from clusters.models import Cluster, Programme, Sector, SectorStronghold, State
from clusters.text import fold
from clusters.views.pages import energy_table


def states_with_counts() -> list[State]:
    """All 32 states, each with ``published_cluster_count`` and, of those, the clusters
    Table 3 lists (``table3_cluster_count``) and the others the briefing names elsewhere
    (``other_cluster_count``) (one query).

    Sorted in Python, ignoring accents ("México" before "Michoacán"), whatever the database's
    collation.
    """
    published = Q(clusters__is_published=True)
    states = State.objects.annotate(
        published_cluster_count=Count("clusters", filter=published),
        table3_cluster_count=Count(
            "clusters", filter=published & Q(clusters__is_formally_organised=True)
        ),
        other_cluster_count=Count(
            "clusters", filter=published & Q(clusters__is_formally_organised=False)
        ),
    )
    return sorted(states, key=lambda state: fold(state.name))


@require_safe
def state_list(request):
    states = states_with_counts()
    context = {
        "states": states,
        "table3_total": sum(state.table3_cluster_count for state in states),
        "other_total": sum(state.other_cluster_count for state in states),
        "without_state": Cluster.objects.published().filter(state__isnull=True).count(),
    }
    return render(request, "clusters/state_list.html", context)


@require_safe
def state_detail(request, code):
    state = get_object_or_404(State, code=code)
    context = {
        "state": state,
        "clusters": list(Cluster.objects.for_directory().filter(state=state)),
        "strongholds": sorted_by_name(
            SectorStronghold.objects.filter(state=state).select_related("sector"),
            key=lambda stronghold: stronghold.sector.name,
        ),
    }
    return render(request, "clusters/state_detail.html", context)


@require_safe
def sector_list(request):
    sectors = sorted_by_name(Sector.objects.with_cluster_counts().prefetch_related("ecosystems"))
    return render(request, "clusters/sector_list.html", {"sectors": sectors})


@require_safe
def sector_detail(request, slug):
    sector = get_object_or_404(
        Sector.objects.prefetch_related(
            "ecosystems",
            "facts",
            "labels",
            "energy_projections",
            Prefetch(
                "strongholds",
                queryset=SectorStronghold.objects.select_related("state").order_by("position"),
            ),
        ),
        slug=slug,
    )
    context = {
        "sector": sector,
        "energy": energy_table(sector.energy_projections.all()),
        "clusters": list(Cluster.objects.for_directory().filter(sectors=sector)),
    }
    return render(request, "clusters/sector_detail.html", context)


@require_safe
def programme_list(request):
    return render(request, "clusters/programme_list.html", {"programmes": Programme.objects.all()})
