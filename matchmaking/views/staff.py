"""Staff-only pages: the introductions CSV and the introductions funnel."""

from django.contrib.admin.views.decorators import staff_member_required
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncMonth
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from clusters.models import Claim, Cluster, Sector
from matchmaking import services
from matchmaking.models import Introduction

ACCEPTED = Q(status=Introduction.Status.ACCEPTED)
MET = Q(outcome__in=[Introduction.Outcome.MET, Introduction.Outcome.AGREEMENT])


def introductions_csv_response(introductions) -> HttpResponse:
    """The introductions as a CSV attachment (also used by the admin action)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"introductions-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    services.write_introductions_csv(introductions, response)
    return response


@require_safe
@staff_member_required
def introductions_csv(request):
    """Every introduction: status, dates, message, the interest, the outcome."""
    return introductions_csv_response(services.introductions_for_csv())


def _with_bars(rows: list[dict]) -> list[dict]:
    """Each row's requested / accepted / met as a bar width (percent of the largest)."""
    largest = max((row["requested"] for row in rows), default=0) or 1
    for row in rows:
        row["bars"] = [
            (key, row[key], f"{100 * row[key] / largest:.1f}")
            for key in ("requested", "accepted", "met")
        ]
    return rows


def funnel_by_month() -> list[dict]:
    return _with_bars(
        list(
            Introduction.objects.annotate(month=TruncMonth("created"))
            .values("month")
            .annotate(
                requested=Count("pk"),
                accepted=Count("pk", filter=ACCEPTED),
                met=Count("pk", filter=MET),
            )
            .order_by("month")
        )
    )


def funnel_by_sector() -> list[dict]:
    """An introduction counts once for each sector of its cluster."""
    through = "clusters__introductions"
    sectors = (
        Sector.objects.annotate(
            requested=Count(through, distinct=True),
            accepted=Count(
                through, filter=Q(clusters__introductions__status="accepted"), distinct=True
            ),
            met=Count(
                through,
                filter=Q(clusters__introductions__outcome__in=["met", "agreement"]),
                distinct=True,
            ),
        )
        .filter(requested__gt=0)
        .order_by("-requested", "slug")
    )
    return _with_bars(
        [
            {"sector": s, "requested": s.requested, "accepted": s.accepted, "met": s.met}
            for s in sectors
        ]
    )


def claim_rate() -> dict:
    clusters = Cluster.objects.published().aggregate(
        total=Count("pk"),
        claimed=Count(
            "pk", filter=Q(Exists(Claim.objects.approved().filter(cluster=OuterRef("pk"))))
        ),
    )
    total = clusters["total"]
    percent = round(100 * clusters["claimed"] / total, 1) if total else 0
    return {**clusters, "percent": percent}


@require_safe
@never_cache
@staff_member_required
def introductions_funnel(request):
    context = {
        "by_month": funnel_by_month(),
        "by_sector": funnel_by_sector(),
        "claims": claim_rate(),
        "queue": Introduction.objects.waiting_for_staff().count(),
    }
    return render(request, "matchmaking/staff/funnel.html", context)
