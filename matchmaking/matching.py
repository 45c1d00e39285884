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
floors. ``affected_interest_ids`` says which interests a changed cluster can affect.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Prefetch, Q
from django.utils import timezone

from clusters.models import Cluster, ClusterName, QualityLabel, Sector
from matchmaking import engine, snapshot, storage
from matchmaking.index import ClusterIndex
from matchmaking.models import Interest, Suggestion
from matchmaking.snapshot import candidate_features, load_context, load_index

__all__ = [
    "StoreResult",
    "affected_interest_ids",
    "candidate_clusters",
    "candidate_features",
    "cluster_features",
    "compute_matches",
    "interest_features",
    "load_context",
    "load_index",
    "related_sector_slugs",
    "rescore_interest",
    "rescore_interests",
]

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
class _Interest:
    """One locked interest of a batch, with what scoring and storing it needs."""

    pk: int
    organisation_id: int
    is_active: bool
    floor: int | None = None
    features: engine.InterestFeatures | None = None


def _lock_and_read(
    interest_ids: list[int], neighbours: dict[str, frozenset[str]] | None
) -> list[_Interest]:
    """Lock the interests (in id order, so that two batches never deadlock) and read their
    features: three queries however many interests."""
    return _read_interests(interest_ids, neighbours, lock=True)


def _read_interests(
    interest_ids: list[int], neighbours: dict[str, frozenset[str]] | None, *, lock: bool
) -> list[_Interest]:
    interests = Interest.objects.select_for_update() if lock else Interest.objects.all()
    rows = list(
        interests.filter(pk__in=interest_ids)
        .order_by("pk")
        .values_list("pk", "organisation_id", "is_active", "match_floor", "kinds", "description")
    )
    active = [pk for pk, _org, is_active, _floor, _kinds, _text in rows if is_active]
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
    for pk, organisation_id, is_active, floor, kinds, description in rows:
        interest = _Interest(pk, organisation_id, is_active, floor)
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
    with transaction.atomic():
        interests = _lock_and_read(ids, neighbours)
        active = [interest for interest in interests if interest.is_active]
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
        rows = [(pk, match) for pk, found in matches.items() for match in found]
        new = storage.store(rows, list(matches), now=started)
        storage.mark_matched(matches, now=started)
    results = [StoreResult(interest.pk, interest.organisation_id) for interest in interests]
    for result in results:
        if result.interest_id in matches:
            result.stored = len(matches[result.interest_id])
            result.new = new.get(result.interest_id, 0)
    return results


# --- A changed cluster --------------------------------------------------------------------


def affected_interest_ids(cluster_id: int) -> list[int]:
    """Interests whose suggestions a change to this cluster (edited, published, unpublished)
    can alter: those it is currently suggested to, and those in its reach (an exact or related
    sector) whose top N it can now enter. Any other interest's top N stays as it is.

    "Can enter" is decided in two steps: the database keeps the interests whose floor
    (``match_floor``: the N-th score; none below N suggestions) the cluster's best possible
    score for them reaches, given its sectors, state, label, size, kinds and a full text
    bonus; then each one's exact score for the cluster is compared with its floor."""
    suggested = set(
        Suggestion.objects.filter(
            cluster_id=cluster_id, is_current=True, interest__is_active=True
        ).values_list("interest_id", flat=True)
    )
    current = snapshot.current(build=True)  # brought up to date: has the cluster as it is now
    cluster = current.index.by_id.get(cluster_id)
    if cluster is None or not cluster.sectors:
        return sorted(suggested)  # unpublished, gone or without sectors: enters nothing
    context, neighbours = current.index.context, current.neighbours
    reached = set(_reachable(cluster, context, neighbours, current.sector_ids)) - suggested
    entering, ties = [], []
    for start in range(0, len(reached), 2000):
        chunk = sorted(reached)[start : start + 2000]
        for interest in _read_interests(chunk, neighbours, lock=False):
            if interest.features is None:
                continue
            terms = engine.fold_terms(interest.features.description)
            score = engine.points(interest.features, terms, cluster, context.strongholds)
            if score is None or (interest.floor is not None and score < interest.floor):
                continue
            if score == interest.floor:
                ties.append(interest.pk)
            else:
                entering.append(interest.pk)
    if ties:
        # Level with the N-th score: it enters if its id is lower than that of the last of
        # the suggestions at that score (ties rank by cluster id).
        last = list(
            Suggestion.objects.filter(
                interest_id__in=ties, is_current=True, score=F("interest__match_floor")
            )
            .values("interest_id")
            .annotate(last=Max("cluster_id"))
            .values_list("interest_id", "last")
        )
        entering += [pk for pk, last_id in last if cluster_id < last_id]
        entering += set(ties) - {pk for pk, _last in last}  # not found: re-score to be sure
    return sorted(suggested.union(entering))


def _reachable(
    cluster: engine.ClusterFeatures, context, neighbours, sector_ids: dict[str, int]
) -> list[int]:
    """Active interests the cluster's best possible score can bring into the top N: a
    superset, by bounds the database checks with the floor index or the sector index,
    whichever finds fewer rows (see ``affected_interest_ids``)."""
    w = engine.WEIGHTS
    sectors = [sector_ids[slug] for slug in cluster.sectors if slug in sector_ids]
    related = [
        sector_ids[slug]
        for slug in snapshot.related(cluster.sectors, neighbours)
        if slug in sector_ids
    ]
    strong = cluster.state is not None and any(
        (slug, cluster.state) in context.strongholds for slug in cluster.sectors
    )
    text = min(w.text_cap, w.text_per_term * len(cluster.folded_terms))
    rest = (w.stronghold if strong else 0) + cluster.fixed_points + text
    fits = sorted(cluster.fitting_kinds)
    through = Interest.sectors.through.objects
    targeting = Interest.states.through.objects.filter(state__code=cluster.state)

    def reaches(bound: int) -> Q:
        """The floor is within reach of ``bound`` (+ kind_fit for an interest it fits)."""
        reach = Q(match_floor__isnull=True) | Q(match_floor__lte=bound)
        if fits:
            fitting = Q(kinds__has_any_keys=fits) if connection.vendor == "postgresql" else Q()
            reach |= Q(match_floor__lte=bound + w.kind_fit) & fitting
        return reach

    active = Interest.objects.filter(is_active=True).order_by()
    parts = []
    for found, base in ((sectors, w.sector_exact), (related, w.sector_related)):
        if not found:
            continue
        in_sector = active.filter(pk__in=through.filter(sector_id__in=found).values("interest_id"))
        parts.append(in_sector.filter(reaches(base + rest)))
        if cluster.state is not None:
            target = in_sector.filter(pk__in=targeting.values("interest_id"))
            parts.append(target.filter(reaches(base + w.target_state + rest)))
    # An interest with a "not relevant" mark still among its current suggestions has not
    # been re-scored since: its floor is not its top N's. Kept, if in reach.
    marked = Suggestion.objects.filter(is_current=True, status=Suggestion.Status.NOT_RELEVANT)
    in_reach = through.filter(sector_id__in=[*sectors, *related])
    parts.append(
        active.filter(pk__in=marked.values("interest_id")).filter(
            pk__in=in_reach.values("interest_id")
        )
    )
    ids = [part.values_list("pk", flat=True) for part in parts]
    return list(ids[0].union(*ids[1:]))
