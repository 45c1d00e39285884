"""The landing page, the data notes, and the site's small files (favicon) and error pages."""

from dataclasses import dataclass

from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_safe

from clusters.filters import ClusterFilter
from clusters.models import Cluster, EnergyProjection, QualityLabel, SectorStronghold, State

# The directory's query parameters: an old link to "/?sector=..." (the directory's address
# before the landing page) still lands on the directory it showed.
DIRECTORY_PARAMETERS = {*ClusterFilter.base_filters, "page"}


@require_safe
def home(request):
    """What the site does, for European organisations and for Mexican clusters."""
    if DIRECTORY_PARAMETERS & request.GET.keys():
        return redirect(f"{reverse('clusters:cluster_list')}?{request.GET.urlencode()}")
    published = Cluster.objects.published()
    context = {
        "cluster_count": published.count(),
        "table3_count": published.filter(is_formally_organised=True).count(),
    }
    return render(request, "clusters/home.html", context)


@dataclass
class EnergyTable:
    """Table 1 as printed, and what its columns add up to."""

    rows: list[EnergyProjection]
    printed_total: EnergyProjection | None
    sums: dict[str, int]

    @property
    def disagreeing(self) -> list[str]:
        """The columns whose printed total differs from the sum of their rows."""
        if self.printed_total is None:
            return []
        return [
            name for name, value in self.sums.items() if getattr(self.printed_total, name) != value
        ]


def energy_table(projections) -> EnergyTable:
    rows = [row for row in projections if not row.is_total]
    totals = [row for row in projections if row.is_total]
    columns = ("mw_2018", "mw_2024", "mw_2028", "share_percent")
    sums = {name: sum(getattr(row, name) for row in rows) for name in columns}
    return EnergyTable(rows=rows, printed_total=totals[0] if totals else None, sums=sums)


@require_safe
def data_notes(request):
    """The briefing's slips, shown as they are rather than silently corrected."""
    context = {
        "energy": energy_table(EnergyProjection.objects.select_related("sector")),
        "biotechnology_strongholds": list(
            SectorStronghold.objects.filter(sector__slug="biotechnology")
            .select_related("state", "sector")
            .order_by("position")
        ),
        "gold_labels": list(
            QualityLabel.objects.filter(level=QualityLabel.Level.GOLD, cluster__is_published=True)
            .select_related("cluster")
            .order_by("cluster__name")
        ),
        "without_sector": list(
            Cluster.objects.published()
            .filter(is_formally_organised=True, sector_label="")
            .select_related("state")
        ),
        "states_url": reverse("clusters:state_list"),
        "state_count": State.objects.count(),
    }
    return render(request, "clusters/data_notes.html", context)


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: send them to the icon."""
    return redirect(static("clusters/favicon.svg"), permanent=True)
