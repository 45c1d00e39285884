"""From the database to the engine and back: candidates, features, stored suggestions.

The score itself lives in ``matchmaking.engine`` (plain Python, no ORM). This module picks
candidates by index (published clusters sharing an exact or related sector with the interest),
turns rows into engine features, and stores the top N with one upsert.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from clusters.models import Cluster, ClusterName, QualityLabel, Sector, SectorStronghold
from matchmaking import engine
from matchmaking.models import Interest, Suggestion


@dataclass
class StoreResult:
    interest_id: int
    organisation_id: int
    stored: int = 0
    new: int = 0


def related_sector_slugs(sector_slugs: frozenset[str]) -> frozenset[str]:
    """Sectors sharing an EU industrial ecosystem with any of ``sector_slugs`` (exact excluded)."""
    related = (
        Sector.objects.filter(ecosystems__sectors__slug__in=sector_slugs)
        .exclude(slug__in=sector_slugs)
        .values_list("slug", flat=True)
        .distinct()
    )
    return frozenset(related)


def load_context() -> engine.Context:
    pairs = SectorStronghold.objects.values_list("sector__slug", "state__code")
    return engine.Context(strongholds=frozenset(pairs))


def interest_features(interest: Interest) -> engine.InterestFeatures:
    sectors = frozenset(interest.sectors.values_list("slug", flat=True))
    return engine.InterestFeatures(
        sectors=sectors,
        related_sectors=related_sector_slugs(sectors),
        states=frozenset(interest.states.values_list("code", flat=True)),
        kinds=frozenset(interest.kinds),
        description=interest.description,
    )


def candidate_clusters(sector_slugs, *, exclude_ids=()):
    """Published clusters in any of ``sector_slugs``, with what the engine needs prefetched."""
    return (
        Cluster.objects.published()
        .filter(sectors__slug__in=sector_slugs)
        .exclude(pk__in=exclude_ids)
        .distinct()
        .select_related("state")
        .prefetch_related(
            "sectors",
            Prefetch("labels", queryset=QualityLabel.objects.filter(is_valid=True)),
            Prefetch("other_names", queryset=ClusterName.objects.only("cluster_id", "name")),
        )
    )


def cluster_features(cluster: Cluster) -> engine.ClusterFeatures:
    """Features of a cluster fetched through ``candidate_clusters`` (labels: valid only)."""
    names = [cluster.name, *(other.name for other in cluster.other_names.all())]
    text = " ".join([*names, cluster.acronym, cluster.description, cluster.sector_label])
    return engine.ClusterFeatures(
        id=cluster.pk,
        sectors=frozenset(sector.slug for sector in cluster.sectors.all()),
        state=cluster.state.code if cluster.state else None,
        valid_labels=frozenset(label.level for label in cluster.labels.all() if label.is_valid),
        has_size=any(
            value is not None
            for value in (cluster.members, cluster.companies, cluster.founded_year)
        ),
        is_formally_organised=cluster.is_formally_organised,
        text=text,
    )


def compute_matches(
    features: engine.InterestFeatures,
    *,
    exclude_ids=(),
    context: engine.Context | None = None,
    limit: int | None = None,
) -> list[engine.Match]:
    candidates = candidate_clusters(
        features.sectors | features.related_sectors, exclude_ids=exclude_ids
    )
    return engine.rank(
        features,
        (cluster_features(cluster) for cluster in candidates),
        context or load_context(),
        limit=limit or settings.MATCH_TOP_N,
        exclude=exclude_ids,
    )


def rescore_interest(
    interest_id: int, *, context: engine.Context | None = None
) -> StoreResult | None:
    """Score one interest and store its suggestions. Safe to run twice at once: the interest
    row is locked for the duration, and suggestions are upserted on (interest, cluster)."""
    started = timezone.now()
    with transaction.atomic():
        interest = Interest.objects.select_for_update().filter(pk=interest_id).first()
        if interest is None:
            return None
        result = StoreResult(interest_id=interest.pk, organisation_id=interest.organisation_id)
        if not interest.is_active:
            return result
        dismissed = list(
            interest.suggestions.filter(status=Suggestion.Status.NOT_RELEVANT).values_list(
                "cluster_id", flat=True
            )
        )
        matches = compute_matches(
            interest_features(interest), exclude_ids=dismissed, context=context
        )
        _store(interest, matches, now=started, result=result)
        Interest.objects.filter(pk=interest.pk).update(
            matched_at=started, matched_version=engine.ENGINE_VERSION
        )
    return result


def _store(interest: Interest, matches: list[engine.Match], *, now: datetime, result: StoreResult):
    previous = dict(interest.suggestions.values_list("cluster_id", "status"))
    rows = [
        Suggestion(
            interest=interest,
            cluster_id=match.cluster_id,
            score=match.score,
            reasons=[reason.to_dict() for reason in match.reasons],
            engine_version=engine.ENGINE_VERSION,
            computed_at=now,
            is_current=True,
        )
        for match in matches
    ]
    Suggestion.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["interest", "cluster"],
        update_fields=["score", "reasons", "engine_version", "computed_at", "is_current"],
    )
    kept = {match.cluster_id for match in matches}
    dropped = interest.suggestions.exclude(cluster_id__in=kept)
    # Unmarked suggestions that fell out of the top N go; marked ones keep the user's mark.
    dropped.filter(status=Suggestion.Status.NEW).delete()
    dropped.update(is_current=False)
    result.stored = len(rows)
    result.new = len(kept - previous.keys())


def affected_interest_ids(cluster_id: int) -> list[int]:
    """Interests a change to this cluster can affect: those in a sector the cluster is in or
    related to, and those it is already suggested to (its sectors may have just changed)."""
    sectors = frozenset(
        Sector.objects.filter(clusters__pk=cluster_id).values_list("slug", flat=True)
    )
    reach = sectors | related_sector_slugs(sectors)
    return list(
        Interest.objects.active()
        .filter(Q(sectors__slug__in=reach) | Q(suggestions__cluster_id=cluster_id))
        .values_list("pk", flat=True)
        .distinct()
        .order_by("pk")
    )
