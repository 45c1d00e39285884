"""Every published cluster's features in memory, and the best matches of an interest found
without scoring every candidate. Plain Python, no ORM (``features.published`` fills it).

``ClusterIndex.rank(interest, limit=N)`` returns exactly what ``engine.rank`` returns for the
interest's candidates (the clusters sharing an exact or related sector), and builds reasons
for those N only. How it avoids scoring each candidate:

- a candidate reached through sector ``s`` scores the engine's sum (``engine.sector_points``
  + ``state_points`` + ``through_sector`` + ``text_points``) regrouped as ``level + text``,
  where ``level`` is fixed by ``s`` being exact or related, the cluster's state being a
  target state, and what the cluster earns through ``s`` (``through_sector``); only
  ``text`` (0 to ``text_cap``) depends on the description;
- so the clusters of ``s`` are grouped by level (per chosen kinds, and per
  state for the target states), and the levels are walked from the top, best first. Once N
  matches are held and a level plus ``text_cap`` cannot reach the N-th score, the walk
  stops: everything below would rank lower;
- a cluster in several sectors sits in each one's groups; the walk meets it first at its
  best level, which is its score (see ``rank``), and skips it afterwards.

The groups are built lazily, once per (sector, kinds[, state]) and index; after a cluster
change, a group it touches is patched when first used.
"""

import heapq
from bisect import insort
from collections import defaultdict
from collections.abc import Collection, Iterable

from matchmaking.matching import engine
from matchmaking.matching.terms import fold_terms


class ClusterIndex:
    def __init__(self, clusters: Iterable[engine.ClusterFeatures], context: engine.Context):
        self.context = context
        self.by_id: dict[int, engine.ClusterFeatures] = {c.id: c for c in clusters}
        self._by_sector: dict[str, list[engine.ClusterFeatures]] = defaultdict(list)
        self._by_sector_state: dict[tuple[str, str], list[engine.ClusterFeatures]] = defaultdict(
            list
        )
        self._multi: set[int] = set()  # ids of clusters in several sectors
        for cluster in self.clusters:
            if len(cluster.sectors) > 1:
                self._multi.add(cluster.id)
            for sector in cluster.sectors:
                self._by_sector[sector].append(cluster)
                if cluster.state is not None:
                    self._by_sector_state[sector, cluster.state].append(cluster)
        self._groups_cache: dict[tuple, list[tuple[int, list[engine.ClusterFeatures]]]] = {}
        # Groups of a patched index not patched yet: key -> (old groups, leaving, coming).
        self._pending: dict[tuple, tuple] = {}

    @property
    def clusters(self) -> list[engine.ClusterFeatures]:
        """Every cluster, by id."""
        return sorted(self.by_id.values(), key=_id)

    def patched(
        self, fresh: Iterable[engine.ClusterFeatures], gone: Iterable[int] = ()
    ) -> "ClusterIndex":
        """A new index: this one with ``fresh`` clusters added or replacing those with their
        ids, and ``gone`` ids removed. What the other sectors hold is shared, groups too."""
        fresh = {cluster.id: cluster for cluster in fresh}
        changed = set(fresh) | set(gone)
        touched = {s for pk in changed if pk in self.by_id for s in self.by_id[pk].sectors}
        touched |= {s for cluster in fresh.values() for s in cluster.sectors}
        new = object.__new__(ClusterIndex)
        new.context = self.context
        new.by_id = {pk: c for pk, c in self.by_id.items() if pk not in changed} | fresh
        new._multi = (self._multi - changed) | {
            pk for pk, cluster in fresh.items() if len(cluster.sectors) > 1
        }
        new._by_sector = defaultdict(list, self._by_sector)
        new._by_sector_state = defaultdict(list)
        for key, found in self._by_sector_state.items():
            if key[0] not in touched:
                new._by_sector_state[key] = found
        for sector in touched:
            members = [c for c in self._by_sector.get(sector, ()) if c.id not in changed]
            members += [c for c in fresh.values() if sector in c.sectors]
            members.sort(key=_id)
            if members:
                new._by_sector[sector] = members
            else:
                new._by_sector.pop(sector, None)
            for cluster in members:
                if cluster.state is not None:
                    new._by_sector_state[sector, cluster.state].append(cluster)
        # Groups: those of untouched sectors are shared; the others are patched when first
        # used (a warm worker holds thousands, and an edit usually needs few of them): they
        # lose the old versions of the changed clusters and gain the fresh ones.
        old = [self.by_id[pk] for pk in changed if pk in self.by_id]
        new._groups_cache, new._pending = {}, {}
        for key, groups in self._groups_cache.items():
            sector, _kinds, state = key
            leaving = [c for c in old if sector in c.sectors and state in (None, c.state)]
            coming = [c for c in fresh.values() if sector in c.sectors and state in (None, c.state)]
            if leaving or coming:
                new._pending[key] = (groups, leaving, coming)
            else:
                new._groups_cache[key] = groups
        for key, pending in self._pending.items():
            if key[0] not in touched:
                new._pending[key] = pending  # else rebuilt from the members when used
        return new

    def _patch(self, key: tuple, groups, leaving, coming):
        """``groups`` of ``key`` without the ``leaving`` clusters and with the ``coming`` ones,
        each at its level (lists copied: the old index keeps its own)."""
        sector, kinds, _state = key
        levels = dict(groups)
        strongholds = self.context.strongholds
        for cluster in leaving:
            points = engine.through_sector(cluster, sector, kinds, strongholds)
            levels[points] = [c for c in levels.get(points, ()) if c.id != cluster.id]
        for cluster in coming:
            points = engine.through_sector(cluster, sector, kinds, strongholds)
            members = list(levels.get(points, ()))
            insort(members, cluster, key=_id)
            levels[points] = members
        return sorted(
            ((points, members) for points, members in levels.items() if members),
            key=_minus_first,
        )

    def _groups(self, sector: str, kinds: frozenset[str], state: str | None):
        """The clusters of ``sector`` (in ``state``, or all) grouped by the points they earn
        through it that do not depend on the interest's sectors, states or description:
        stronghold of ``sector``, label, size, fit with ``kinds``. [(points, clusters by
        id)], best first."""
        key = (sector, kinds, state)
        found = self._groups_cache.get(key)
        if found is None and key in self._pending:
            found = self._groups_cache[key] = self._patch(key, *self._pending.pop(key))
        if found is None:
            members = (
                self._by_sector.get(sector, ())
                if state is None
                else self._by_sector_state.get((sector, state), ())
            )
            groups: dict[int, list[engine.ClusterFeatures]] = defaultdict(list)
            strongholds = self.context.strongholds
            for cluster in members:
                groups[engine.through_sector(cluster, sector, kinds, strongholds)].append(cluster)
            found = self._groups_cache[key] = sorted(groups.items(), key=_minus_first)
        return found

    def rank(
        self,
        interest: engine.InterestFeatures,
        *,
        limit: int,
        exclude: Collection[int] = (),
    ) -> list[engine.Match]:
        """``engine.rank`` over the clusters sharing an exact or related sector with the
        interest, faster.

        A cluster's score through one of its sectors is that sector's base (exact or
        related) plus, if the cluster is in a target state, ``target_state``, plus its group's
        points, plus text. Through an exact sector it always beats any related one, and
        between sectors of the same kind the best stronghold wins: so a cluster in several
        sectors scores its best level, which the walk (best level first) meets first."""
        if limit <= 0:
            return []
        excluded = frozenset(exclude)
        terms = fold_terms(interest.description)
        targets = interest.states
        kinds = interest.kinds
        levels: list[tuple[int, list[engine.ClusterFeatures], bool]] = []
        for sector in interest.sectors | interest.related_sectors:
            if sector not in self._by_sector:
                continue
            base = engine.sector_points(sector in interest.sectors)
            for points, members in self._groups(sector, kinds, None):
                levels.append((base + points, members, bool(targets)))
            targeted = base + engine.state_points(True)
            for state in targets:
                for points, members in self._groups(sector, kinds, state):
                    levels.append((targeted + points, members, False))
        levels.sort(key=_first, reverse=True)

        text_for = [engine.text_points(common) for common in range(len(terms) + 1)]
        text_cap = text_for[-1]
        multi = self._multi
        seen: set[int] = set()
        held: list[tuple[int, int, engine.ClusterFeatures]] = []  # (score, -id, cluster)
        for level, members, skip_targets in levels:
            if len(held) == limit and level + text_cap < held[0][0]:
                break
            for cluster in members:
                cluster_id = cluster.id
                if cluster_id in excluded or (skip_targets and cluster.state in targets):
                    continue
                if cluster_id in multi:
                    if cluster_id in seen:
                        continue  # met earlier at its best level
                    seen.add(cluster_id)
                score = level
                if terms:
                    score += text_for[len(terms & cluster.folded_terms)]
                if score > 100:
                    score = 100
                if len(held) < limit:
                    heapq.heappush(held, (score, -cluster_id, cluster))
                elif score > held[0][0] or (score == held[0][0] and -cluster_id > held[0][1]):
                    heapq.heapreplace(held, (score, -cluster_id, cluster))
                elif not terms and cluster_id not in multi:
                    # No description: the rest of this group scores the same with higher
                    # ids, so none of it can enter either.
                    break
        best = sorted(held, key=_best_first)
        return [
            engine.score_with_terms(interest, terms, cluster, self.context)
            for _score, _neg_id, cluster in best
        ]


def _id(cluster: engine.ClusterFeatures) -> int:
    return cluster.id


def _minus_first(entry: tuple) -> int:
    return -entry[0]


def _first(entry: tuple) -> int:
    return entry[0]


def _best_first(entry: tuple) -> tuple[int, int]:
    return -entry[0], -entry[1]
