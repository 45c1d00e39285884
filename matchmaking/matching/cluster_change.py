"""A changed cluster (edited, published, unpublished): only the suggestions it alters change.

``apply(cluster_id)`` finds the interests the change can affect and updates those it can
(``suggest.apply_cluster_change`` re-scores the others in full):

- which: those the cluster is currently suggested to, and those in its reach whose top N it
  can now enter. The database bounds the second set (``_reachable``) by each interest's
  floor (``match_floor``: the N-th score), the cluster that holds it (ties rank by cluster
  id) and the terms its description was matched with; each interest found is then scored
  exactly, in Python, against its floor;
- how: where the cluster enters the top N, or stays in it, one suggestion changes: the
  cluster's is written, the N-th is pushed out (deleted, or no longer current if the user
  marked it) and the floor follows. A cluster scoring lower than before stays in the top N
  while it still ranks above the N-th of the others (every cluster outside the top N ranks
  below that one), or while the interest has fewer than N suggestions (it has no other
  candidates). Anything else (the cluster, lower, is now the N-th; it left the interest's
  sectors or was unpublished; the interest was edited since it was matched, matched by an
  older engine, or holds a "not relevant" mark among its current suggestions) is left to
  be re-scored in full.

A property test checks that the result equals re-scoring every interest.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

from matchmaking.matching import engine, features, keys, storage
from matchmaking.matching.features import LockedInterest, PublishedClusters, lock_and_read
from matchmaking.matching.storage import StoreResult
from matchmaking.matching.terms import fold_terms
from matchmaking.models import Interest, Suggestion


@dataclass
class _Entry:
    interest: LockedInterest
    match: engine.Match


def apply(cluster_id: int) -> tuple[list[StoreResult], list[int]]:
    """Update the suggestions the cluster's change alters where one suggestion per interest
    is enough: (one result per interest so written, the ids of the interests that must be
    re-scored in full instead)."""
    published = features.published(build=True)  # up to date: the cluster as it is now
    cluster = published.index.by_id.get(cluster_id)
    suggested = dict(
        Suggestion.objects.filter(cluster_id=cluster_id, is_current=True, interest__is_active=True)
        .order_by()
        .values_list("interest_id", "score")
    )
    if cluster is None or not cluster.sectors:  # unpublished, gone or without sectors
        return [], sorted(suggested)
    reached = set(_reachable(cluster, published)) | suggested.keys()
    strongholds = published.index.context.strongholds
    full: list[int] = []
    with storage.derived_transaction():
        interests = lock_and_read(sorted(reached), published.neighbours)
        dismissed = set(
            Suggestion.objects.filter(
                cluster_id=cluster_id,
                interest_id__in=[interest.pk for interest in interests],
                status=Suggestion.Status.NOT_RELEVANT,
            )
            .order_by()
            .values_list("interest_id", flat=True)
        )
        entries = []
        for interest in interests:
            if not interest.is_active:
                continue
            was = suggested.get(interest.pk)
            if interest.pk in dismissed:
                if was is not None:  # marked, not re-scored since
                    full.append(interest.pk)
                continue
            terms = fold_terms(interest.features.description)
            score = engine.points(interest.features, terms, cluster, strongholds)
            if was is None and (score is None or not _enters(score, cluster_id, interest)):
                continue
            if not interest.up_to_date or score is None:
                full.append(interest.pk)
                continue
            match = engine.score_with_terms(
                interest.features, terms, cluster, published.index.context
            )
            entries.append(_Entry(interest, match))
        written = _apply_entries(cluster_id, entries, full)
    return written, sorted(full)


def _enters(score: int, cluster_id: int, interest: LockedInterest) -> bool:
    """Whether a cluster not among the interest's suggestions ranks above its N-th; when the
    N-th's cluster is unknown, a tie counts as entering (the interest is re-scored)."""
    floor = interest.floor
    if floor is None or score > floor:
        return True
    held_by = interest.floor_cluster
    return score == floor and (held_by is None or cluster_id < held_by)


def _apply_entries(cluster_id: int, entries: list[_Entry], full: list[int]) -> list[StoreResult]:
    """Write each entry's suggestion and push its interest's N-th out, if any; appends to
    ``full`` the interests that cannot be updated so (a tie with an unknown N-th, a "not
    relevant" mark among the current suggestions)."""
    if not entries:
        return []
    top = settings.MATCH_TOP_N
    held: dict[int, list[tuple[int, int, str]]] = {entry.interest.pk: [] for entry in entries}
    for interest_id, other, score, status in (
        Suggestion.objects.filter(interest_id__in=list(held), is_current=True)
        .order_by()
        .values_list("interest_id", "cluster_id", "score", "status")
    ):
        held[interest_id].append((score, other, status))
    rows, dropped, floors, written = [], [], {}, []
    for entry in entries:
        pk = entry.interest.pk
        current = held[pk]
        if entry.interest.floor is not None and entry.interest.floor_cluster is None:
            full.append(pk)  # matched before the floor's cluster was recorded
            continue
        if any(status == Suggestion.Status.NOT_RELEVANT for _s, _c, status in current):
            full.append(pk)
            continue
        was = [score for score, other, _status in current if other == cluster_id]
        ranked = sorted(
            [(-score, other) for score, other, _status in current if other != cluster_id]
            + [(-entry.match.score, cluster_id)]
        )
        kept, out = ranked[:top], ranked[top:]
        position = ranked.index((-entry.match.score, cluster_id))
        if position >= top:
            full.append(pk)  # its suggestions changed since they were read: re-score
            continue
        if was and entry.match.score < was[0] and len(ranked) >= top and position == top - 1:
            # Lower, and now the N-th: a cluster outside the top N may rank above it.
            full.append(pk)
            continue
        rows.append((pk, entry.match))
        dropped += [(pk, other) for _score, other in out]
        floors[pk] = (-kept[-1][0], kept[-1][1]) if len(kept) >= top else (None, None)
        written.append(entry.interest)
    if not rows:
        return []
    new = storage.replace(rows, dropped, now=timezone.now())
    storage.set_floors(floors)
    return [
        StoreResult(interest.pk, interest.organisation_id, stored=1, new=new.get(interest.pk, 0))
        for interest in written
    ]


def _reachable(cluster: engine.ClusterFeatures, published: PublishedClusters) -> list[int]:
    """Active interests whose top N the cluster can enter, or that it is in: a superset.

    On PostgreSQL, by the GIN index of the match keys and the floor index: for each way the
    cluster can reach an interest (through an exact or a related sector, with or without its
    state among the interest's targets, with or without shared terms), the interests so
    reached whose floor is within the best score the cluster can have there; then that
    score, bounded from the keys (kind fit, shared terms), against the floor. Elsewhere,
    every active interest in an exact or related sector (small databases)."""
    exact = sorted(cluster.sectors)
    related = sorted(features.related(cluster.sectors, published.neighbours))
    if connection.vendor != "postgresql":
        in_reach = Interest.sectors.through.objects.filter(sector__slug__in=[*exact, *related])
        interests = Interest.objects.filter(is_active=True, pk__in=in_reach.values("interest_id"))
        return list(interests.values_list("pk", flat=True))
    # The score the cluster can have for an interest, bounded from what the keys say, as
    # SQL generated from the engine's rule: the parts that depend only on the cluster are
    # numbers here; kind fit and text are looked up, by what the keys hold, in arrays of
    # the engine's own points (``kind_points``, ``text_points``).
    strong = cluster.state is not None and any(
        (slug, cluster.state) in published.index.context.strongholds for slug in cluster.sectors
    )
    rest = engine.stronghold_points(strong) + cluster.fixed_points
    terms = keys.prefixed(keys.TERM, cluster.folded_terms)
    fits = keys.prefixed(keys.KIND, cluster.fitting_kinds)
    text_max = engine.text_points(len(terms))
    kind_max = engine.kind_points(bool(fits))
    params = {
        "cluster": cluster.id,
        "state": keys.STATE + (cluster.state or ""),
        "terms": terms,
        "fits": fits,
        "exact": keys.prefixed(keys.SECTOR, exact),
        "related": keys.prefixed(keys.SECTOR, related),
        "everywhere": keys.prefixed(keys.SECTOR, [*exact, *related]),
        "not_relevant": Suggestion.Status.NOT_RELEVANT.value,
        "kind_points": [engine.kind_points(False), engine.kind_points(True)],
        "text_points": [engine.text_points(count) for count in range(len(terms) + 1)],
    }
    kind = "(%(kind_points)s::int[])[1 + (match_keys ?| %(fits)s::text[])::int]"
    text = (
        "(%(text_points)s::int[])[1 + (SELECT count(*) FROM jsonb_array_elements_text("
        "match_keys) AS k(key) WHERE k.key = ANY(%(terms)s::text[]))::int]"
    )
    parts = []
    for sectors, exact_tier in (("exact", True), ("related", False)):
        for targeted in (False, True) if cluster.state else (False,):
            for shared in (False, True) if text_max else (False,):
                level = engine.sector_points(exact_tier) + engine.state_points(targeted) + rest
                best = level + kind_max + (text_max if shared else 0)
                score = f"{level} + {kind}" + (f" + {text}" if shared else "")
                conditions = [
                    f"match_keys ?| %({sectors})s::text[]",
                    f"(match_floor IS NULL OR match_floor <= {best})",
                    f"(match_floor IS NULL OR match_floor < {score} OR (match_floor = {score} "
                    "AND (match_floor_cluster IS NULL OR match_floor_cluster > %(cluster)s)))",
                ]
                if targeted:
                    conditions.append("match_keys ? %(state)s")
                if shared:
                    conditions.append("match_keys ?| %(terms)s::text[]")
                if params[sectors]:
                    parts.append(_interests_where(conditions))
    # An interest with a "not relevant" mark still among its current suggestions has not
    # been re-scored since: its floor is not its top N's. Kept, if in reach.
    parts.append(
        _interests_where(
            [
                "match_keys ?| %(everywhere)s::text[]",
                f"id IN (SELECT interest_id FROM {Suggestion._meta.db_table} "
                "WHERE is_current AND status = %(not_relevant)s)",
            ]
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(" UNION ".join(parts), params)
        return [row[0] for row in cursor.fetchall()]


def _interests_where(conditions: list[str]) -> str:
    where = " AND ".join(["is_active", *conditions])
    return f"(SELECT id FROM {Interest._meta.db_table} WHERE {where})"
