"""The map of Mexico coloured by number of clusters, and the chart of clusters by sector.

Both are drawn on the server: the map is an inline SVG whose state outlines come from the
vendored ``@svg-maps/mexico`` package (CC-BY-4.0, see its README and LICENSE beside it); the
chart is an HTML table with bars. Neither needs JavaScript.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.db.models import Count, Q
from django.shortcuts import render
from django.views.decorators.http import require_safe

from clusters.i18n import sorted_by_name
from clusters.models import Cluster, Sector
from clusters.views.places import states_with_counts

MAP_DATA = (
    Path(__file__).resolve().parent.parent
    / "static"
    / "clusters"
    / "vendor"
    / "svg-maps-mexico"
    / "mexico.json"
)

# The package's ids (its README lists them; each checked against its "name") → ISO 3166-2:MX.
MAP_ID_TO_ISO = {
    "agu": "MX-AGU",  # Aguascalientes
    "bcn": "MX-BCN",  # Baja California
    "bcs": "MX-BCS",  # Baja California Sur
    "cam": "MX-CAM",  # Campeche
    "chp": "MX-CHP",  # Chiapas
    "chh": "MX-CHH",  # Chihuahua
    "coa": "MX-COA",  # Coahuila
    "col": "MX-COL",  # Colima
    "dur": "MX-DUR",  # Durango
    "gua": "MX-GUA",  # Guanajuato
    "gro": "MX-GRO",  # Guerrero
    "hid": "MX-HID",  # Hidalgo
    "jal": "MX-JAL",  # Jalisco
    "cmx": "MX-CMX",  # Mexico City
    "mex": "MX-MEX",  # México (the state)
    "mic": "MX-MIC",  # Michoacán
    "mor": "MX-MOR",  # Morelos
    "nay": "MX-NAY",  # Nayarit
    "nle": "MX-NLE",  # Nuevo León
    "oax": "MX-OAX",  # Oaxaca
    "pue": "MX-PUE",  # Puebla
    "que": "MX-QUE",  # Querétaro
    "roo": "MX-ROO",  # Quintana Roo
    "slp": "MX-SLP",  # San Luis Potosí
    "sin": "MX-SIN",  # Sinaloa
    "son": "MX-SON",  # Sonora
    "tab": "MX-TAB",  # Tabasco
    "tam": "MX-TAM",  # Tamaulipas
    "tla": "MX-TLA",  # Tlaxcala
    "ver": "MX-VER",  # Veracruz
    "yuc": "MX-YUC",  # Yucatán
    "zac": "MX-ZAC",  # Zacatecas
}

# Colour classes for the map: (lowest count, highest count or None for "and more", fill).
# A sequential blue scale; 0 is a neutral grey so "no cluster" reads differently from "one".
MAP_CLASSES = [
    (0, 0, "#e2e6eb"),
    (1, 1, "#c6dbef"),
    (2, 3, "#9ecae1"),
    (4, 6, "#6baed6"),
    (7, 9, "#3182bd"),
    (10, None, "#08519c"),
]


@dataclass(frozen=True)
class MapShape:
    code: str
    path: str


@cache
def map_outline() -> tuple[str, tuple[MapShape, ...]]:
    """The vendored outlines as (viewBox, shapes keyed by ISO code); read once per process."""
    data = json.loads(MAP_DATA.read_text(encoding="utf-8"))
    shapes = tuple(
        MapShape(code=MAP_ID_TO_ISO[location["id"]], path=location["path"])
        for location in data["locations"]
    )
    return data["viewBox"], shapes


def fill_for(count: int) -> str:
    for low, high, fill in MAP_CLASSES:
        if count >= low and (high is None or count <= high):
            return fill
    return MAP_CLASSES[-1][2]


def map_context() -> dict:
    """What the map template needs: shapes with state, count and fill, and the legend."""
    states = states_with_counts()
    by_code = {state.code: state for state in states}
    view_box, shapes = map_outline()
    drawn = []
    for shape in shapes:
        state = by_code[shape.code]
        count = state.published_cluster_count
        drawn.append({"state": state, "count": count, "path": shape.path, "fill": fill_for(count)})
    legend = [{"low": low, "high": high, "fill": fill} for low, high, fill in MAP_CLASSES]
    return {
        "map_view_box": view_box,
        "map_shapes": drawn,
        "map_legend": legend,
        "map_states": states,
    }


def sector_chart_context() -> dict:
    """Bars for every sector with at least one published cluster, largest first."""
    sectors = [
        sector
        for sector in sorted_by_name(Sector.objects.with_cluster_counts())
        if sector.published_cluster_count
    ]
    sectors.sort(key=lambda sector: -sector.published_cluster_count)  # stable: ties by name
    largest = max((s.published_cluster_count for s in sectors), default=0)
    bars = [
        {
            "sector": sector,
            "count": sector.published_cluster_count,
            # A string with a dot whatever the language, for the style attribute.
            "width": f"{100 * sector.published_cluster_count / largest:.1f}",
        }
        for sector in sectors
    ]
    return {"sector_bars": bars}


@require_safe
def map_view(request):
    published = Cluster.objects.published()
    context = {
        **map_context(),
        **sector_chart_context(),
        **published.aggregate(
            total=Count("pk"), without_state=Count("pk", filter=Q(state__isnull=True))
        ),
        "without_sector": published.filter(sectors__isnull=True).count(),
    }
    return render(request, "clusters/map.html", context)
