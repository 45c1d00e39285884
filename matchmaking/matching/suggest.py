"""The matching's public functions: score interests and store their suggestions, apply a
changed cluster, rank an interest without storing anything.

Candidates are the published clusters sharing an exact or related sector with the interest,
found by index, never by scoring every pair:

- in memory, by the process's ``ClusterIndex`` of every published cluster
  (``features.published``), kept up to date by the cluster data's version token
  (PostgreSQL); ``ClusterIndex.rank`` finds the top N without scoring every candidate;
- or by the database's sector index (``features.candidate_features``) ranked by
  ``engine.rank``, where there is no version token (SQLite) and for a lone interest.

Both give what scoring every pair would (tests/matchmaking/test_candidates_property.py).
``rescore_interests`` scores a batch with a handful of queries, however big: lock and read
the interests, read their "not relevant" marks, store every suggestion, record the floors.
"""

from collections.abc import Iterable, Iterator
from typing import TypeVar

from django.conf import settings
from django.utils import timezone

from matchmaking.matching import cluster_change, engine, features, keys, storage
from matchmaking.matching.features import (
    LockedInterest,
    interest_features,
    load_context,
    load_index,
    lock_and_read,
    related_sector_slugs,
)
from matchmaking.matching.index import ClusterIndex
from matchmaking.matching.storage import StoreResult
from matchmaking.matching.terms import fold_terms

__all__ = [
    "StoreResult",
    "apply_cluster_change",
    "batches",
    "compute_matches",
    "interest_features",
    "load_context",
    "load_index",
    "lock_and_read",
    "rank_batch",
    "related_sector_slugs",
    "rescore_in_batches",
    "rescore_interest",
    "rescore_interests",
]

# Interests scored and stored per transaction (their rows stay locked meanwhile).
RESCORE_CHUNK = 500

# Without a version token, a batch at least this big reads every published cluster into an
# index (for that batch only) rather than each interest's candidates.
INDEX_MIN_BATCH = 20

T = TypeVar("T")


def batches(items: list[T], size: int) -> Iterator[list[T]]:
    """``items`` in consecutive lists of ``size`` (the last one shorter)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def compute_matches(
    interest: engine.InterestFeatures,
    *,
    exclude_ids=(),
    context: engine.Context | None = None,
    limit: int | None = None,
) -> list[engine.Match]:
    """The interest's best matches (``limit``, default ``MATCH_TOP_N``), ``exclude_ids``
    left out, nothing stored: from the process's index if it has one (and ``context`` is
    its own), else by the database's sector index."""
    limit = limit or settings.MATCH_TOP_N
    kept = features.published(build=False)
    if kept is not None and (context is None or context == kept.index.context):
        return kept.index.rank(interest, limit=limit, exclude=exclude_ids)
    return _rank_by_database(interest, exclude_ids, context or load_context(), limit)


def _rank_by_database(
    interest: engine.InterestFeatures, exclude_ids, context: engine.Context, limit: int
) -> list[engine.Match]:
    candidates = features.candidate_features(
        interest.sectors | interest.related_sectors, exclude_ids=exclude_ids
    )
    return engine.rank(interest, candidates, context, limit=limit, exclude=exclude_ids)


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
            found = _rank_by_database(interest.features, dismissed, context, settings.MATCH_TOP_N)
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

    Candidates come from ``index`` if given, else from the process's index (read now if
    there is none or it is out of date, and for a batch of ``INDEX_MIN_BATCH`` or more
    where there is no version token), else from the database's sector index."""
    ids = list(interest_ids)
    started = timezone.now()
    neighbours = None
    if index is None:
        kept = features.published(build=len(ids) >= INDEX_MIN_BATCH)
        if kept is not None:
            index, neighbours = kept.index, kept.neighbours
    if index is not None and context is not None and context != index.context:
        index = None  # a caller's own context: score against the database instead
    context = context or (index.context if index is not None else load_context())
    with storage.derived_transaction():
        interests = lock_and_read(ids, neighbours)
        active = [interest for interest in interests if interest.is_active]
        matches = rank_batch(active, index=index, context=context)
        rows = [(pk, match) for pk, found in matches.items() for match in found]
        new = storage.store(rows, list(matches), now=started)
        match_keys = {
            interest.pk: keys.match_keys(
                interest.features, fold_terms(interest.features.description)
            )
            for interest in active
        }
        storage.mark_matched(matches, match_keys, now=started)
    results = [StoreResult(interest.pk, interest.organisation_id) for interest in interests]
    for result in results:
        if result.interest_id in matches:
            result.stored = len(matches[result.interest_id])
            result.new = new.get(result.interest_id, 0)
    return results


def rescore_in_batches(
    interest_ids: Iterable[int], *, context: engine.Context | None = None
) -> Iterator[StoreResult]:
    """``rescore_interests`` in transactions of ``RESCORE_CHUNK`` interests, results as each
    one commits."""
    for chunk in batches(list(interest_ids), RESCORE_CHUNK):
        yield from rescore_interests(chunk, context=context)


def apply_cluster_change(cluster_id: int) -> list[StoreResult]:
    """Bring every suggestion a changed cluster (edited, published, unpublished, deleted)
    can alter up to date: one suggestion per interest where that is enough
    (``cluster_change``), the interest re-scored in full where not. One result per interest
    written, by interest id."""
    written, to_rescore = cluster_change.apply(cluster_id)
    written += rescore_in_batches(to_rescore)
    return sorted(written, key=_by_interest)


def _by_interest(result: StoreResult) -> int:
    return result.interest_id
