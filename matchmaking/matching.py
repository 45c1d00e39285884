"""From the database to the engine and back: candidates, features, stored suggestions.

The score itself lives in ``matchmaking.engine`` (plain Python, no ORM). Candidates are the
published clusters sharing an exact or related sector with the interest, found by index:

- in memory, by the process's ``ClusterIndex`` of every published cluster (``load_index`` in
  ``matchmaking.snapshot``), kept up to date by a version token the database moves on every
  write to cluster data (PostgreSQL); ``ClusterIndex.rank`` finds the top N without scoring
  every candidate;
- or by the database's sector index (``candidate_features``), where there is no version
  token (SQLite) and for a lone interest.

Both give what scoring every pair would (property tests check it). ``rescore_interests``
scores a batch with a handful of queries, however big: lock and read the interests, read
their "not relevant" marks, store every suggestion (``matchmaking.storage``), record the
floors. A changed cluster is ``matchmaking.cluster_change``'s.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from clusters.models import Cluster, ClusterName, QualityLabel, Sector
from matchmaking import engine, reach, snapshot, storage
from matchmaking.index import ClusterIndex
from matchmaking.models import Interest
from matchmaking.snapshot import candidate_features, load_context, load_index

__all__ = [
    "LockedInterest",
    "StoreResult",
    "candidate_clusters",
    "candidate_features",
    "cluster_features",
    "compute_matches",
    "interest_features",
    "load_context",
    "load_index",
    "lock_and_read",
    "rank_batch",
    "related_sector_slugs",
    "rescore_interest",
    "rescore_interests",
]

# Interests scored and stored per transaction (their rows stay locked meanwhile).
RESCORE_CHUNK = 500

# Without a version token, a batch at least this big reads every published cluster into an
# index (for that batch only) rather than each interest's candidates.
INDEX_MIN_BATCH = 20


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
        text=snapshot.cluster_text(
            names, cluster.acronym, cluster.description, cluster.sector_label
        ),
    )


# --- Candidates and scoring ------------------------------------------------------------


def compute_matches(
    features: engine.InterestFeatures,
    *,
    exclude_ids=(),
    context: engine.Context | None = None,
    limit: int | None = None,
    index: ClusterIndex | None = None,
) -> list[engine.Match]:
    """The interest's best matches (``limit``, default ``MATCH_TOP_N``), ``exclude_ids``
    left out: from ``index`` if given (or a cached one), else by the database's index."""
    limit = limit or settings.MATCH_TOP_N
    if index is None:
        current = snapshot.current(build=False)
        index = current.index if current else None
    if index is not None and (context is None or context == index.context):
        return index.rank(features, limit=limit, exclude=exclude_ids)
    candidates = candidate_features(
        features.sectors | features.related_sectors, exclude_ids=exclude_ids
    )
    return engine.rank(
        features, candidates, context or load_context(), limit=limit, exclude=exclude_ids
    )


# --- Scoring and storing ------------------------------------------------------------------


@dataclass
class LockedInterest:
    """One locked interest of a batch, with what scoring and storing it needs."""

    pk: int
    organisation_id: int
    is_active: bool
    floor: int | None = None
    features: engine.InterestFeatures | None = None
    floor_cluster: int | None = None
    # Matched by this engine since its last change: its stored suggestions are its top N.
    up_to_date: bool = False


def lock_and_read(
    interest_ids: list[int], neighbours: dict[str, frozenset[str]] | None
) -> list[LockedInterest]:
    """Lock the interests (in id order, so that two batches never deadlock) and read their
    features: three queries however many interests. Call inside a transaction."""
    rows = list(
        Interest.objects.select_for_update()
        .filter(pk__in=interest_ids)
        .order_by("pk")
        .values_list(
            "pk",
            "organisation_id",
            "is_active",
            "match_floor",
            "kinds",
            "description",
            "match_floor_cluster",
            "matched_version",
            "matched_at",
            "changed_at",
        )
    )
    active = [row[0] for row in rows if row[2]]
    sectors: dict[int, set[str]] = defaultdict(set)
    states: dict[int, set[str]] = defaultdict(set)
    if active:
        for pk, slug in Interest.sectors.through.objects.filter(interest_id__in=active).values_list(
            "interest_id", "sector__slug"
        ):
            sectors[pk].add(slug)
        for pk, code in Interest.states.through.objects.filter(interest_id__in=active).values_list(
            "interest_id", "state__code"
        ):
            states[pk].add(code)
    if neighbours is None and active:
        neighbours = snapshot.neighbours()
    found = []
    for row in rows:
        pk, organisation_id, is_active, floor, kinds, description, floor_cluster = row[:7]
        version, matched_at, changed_at = row[7:]
        interest = LockedInterest(
            pk, organisation_id, is_active, floor, floor_cluster=floor_cluster
        )
        interest.up_to_date = (
            version == engine.ENGINE_VERSION and matched_at is not None and matched_at >= changed_at
        )
        if is_active:
            chosen = frozenset(sectors.get(pk, ()))
            interest.features = engine.InterestFeatures(
                sectors=chosen,
                related_sectors=snapshot.related(chosen, neighbours),
                states=frozenset(states.get(pk, ())),
                kinds=frozenset(kinds),
                description=description,
            )
        found.append(interest)
    return found


def rank_batch(
    active: list[LockedInterest], *, index: ClusterIndex | None, context: engine.Context
) -> dict[int, list[engine.Match]]:
    """interest id -> the best matches of each of ``active`` (read by ``lock_and_read``),
    with their reasons, its organisation's "not relevant" clusters left out: from ``index``,
    else by the database's sector index."""
    not_relevant = storage.not_relevant([interest.pk for interest in active])
    matches = {}
    for interest in active:
        dismissed = not_relevant.get(interest.pk, ())
        if index is not None:
            found = index.rank(interest.features, limit=settings.MATCH_TOP_N, exclude=dismissed)
        else:
            found = compute_matches(
                interest.features, exclude_ids=dismissed, context=context, index=None
            )
        matches[interest.pk] = found
    return matches


def rescore_interest(
    interest_id: int, *, context: engine.Context | None = None
) -> StoreResult | None:
    """Score one interest and store its suggestions. Safe to run twice at once: the interest
    row is locked for the duration, and suggestions are upserted on (interest, cluster)."""
    results = rescore_interests([interest_id], context=context)
    return results[0] if results else None


def rescore_interests(
    interest_ids: Iterable[int],
    *,
    context: engine.Context | None = None,
    index: ClusterIndex | None = None,
) -> list[StoreResult]:
    """Score the given interests and store their suggestions, in one transaction; one result
    per interest that exists (in id order). Same guarantees as ``rescore_interest``.

    Candidates come from ``index`` if given, else from the process's cached index (read now
    if there is none or it is out of date, and for a batch of ``INDEX_MIN_BATCH`` or more
    where there is no version token), else from the database's sector index."""
    ids = list(interest_ids)
    started = timezone.now()
    neighbours = None
    if index is None:
        current = snapshot.current(build=len(ids) >= INDEX_MIN_BATCH)
        if current is not None:
            index, neighbours = current.index, current.neighbours
    if index is not None and context is not None and context != index.context:
        index = None  # a caller's own context: score against the database instead
    context = context or (index.context if index is not None else load_context())
    with storage.derived_transaction():
        interests = lock_and_read(ids, neighbours)
        active = [interest for interest in interests if interest.is_active]
        matches = rank_batch(active, index=index, context=context)
        rows = [(pk, match) for pk, found in matches.items() for match in found]
        new = storage.store(rows, list(matches), now=started)
        keys = {
            interest.pk: reach.keys(
                interest.features, engine.fold_terms(interest.features.description)
            )
            for interest in active
        }
        storage.mark_matched(matches, keys, now=started)
    results = [StoreResult(interest.pk, interest.organisation_id) for interest in interests]
    for result in results:
        if result.interest_id in matches:
            result.stored = len(matches[result.interest_id])
            result.new = new.get(result.interest_id, 0)
    return results
