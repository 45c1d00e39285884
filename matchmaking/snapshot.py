"""What the matching reads about clusters: their engine features, from value queries, and an
in-memory ``ClusterIndex`` of every published cluster that each process keeps up to date.

On PostgreSQL, triggers (migrations 0004 and 0006) move a version token before every
statement that writes cluster data (clusters, their sectors, labels and other names) or the
taxonomy (sectors, their ecosystems, states, strongholds), and log which clusters each token
changed. ``load_index`` returns the process's index if the token has not moved, else reads
only the clusters changed since (or everything, after a taxonomy change, a day without
refresh, or on first use), so the index is never stale and rarely rebuilt. The token row is
transactional: a rolled-back change rolls it back too; the sequence never repeats a value.
Without the token (SQLite) nothing is cached across calls.

Features are also cached per process by everything they are computed from, so a cluster's
folded text and fitting kinds are computed once, and a changed cluster is a different key.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from clusters.models import Cluster, ClusterName, QualityLabel, Sector, SectorStronghold
from matchmaking import engine
from matchmaking.index import ClusterIndex

# How long change rows are kept; a process whose index is older reads everything again.
CHANGES_KEPT = timedelta(days=1)
INCREMENTAL_FOR = timedelta(hours=12)


def neighbours() -> dict[str, frozenset[str]]:
    """Each sector slug -> every sector sharing an ecosystem with it (itself included when it
    has an ecosystem). ``related(S)`` is the union over S, minus S."""
    pairs = Sector.objects.filter(ecosystems__sectors__isnull=False).values_list(
        "slug", "ecosystems__sectors__slug"
    )
    found: dict[str, set[str]] = defaultdict(set)
    for slug, other in pairs:
        found[slug].add(other)
    return {slug: frozenset(others) for slug, others in found.items()}


def related(sectors: frozenset[str], neighbours: dict[str, frozenset[str]]) -> frozenset[str]:
    found: set[str] = set()
    for slug in sectors:
        found |= neighbours.get(slug, frozenset())
    return frozenset(found - sectors)


def load_context() -> engine.Context:
    pairs = SectorStronghold.objects.values_list("sector__slug", "state__code")
    return engine.Context(strongholds=frozenset(pairs))


def cluster_text(names: Iterable[str], acronym: str, description: str, label: str) -> str:
    return " ".join([*names, acronym, description, label])


# --- Features from value queries ----------------------------------------------------------

_FEATURES: dict[tuple, engine.ClusterFeatures] = {}
_FEATURES_MAX = 200_000


def _features(key: tuple) -> engine.ClusterFeatures:
    """The features for ``key`` = (id, sectors, state, valid labels, has size, organised,
    text): built once per process, then shared (with their folded terms and kinds)."""
    found = _FEATURES.get(key)
    if found is None:
        if len(_FEATURES) >= _FEATURES_MAX:
            _FEATURES.clear()
        found = _FEATURES[key] = engine.ClusterFeatures(*key)
    return found


def features_of(clusters) -> list[engine.ClusterFeatures]:
    """Features of the clusters of queryset ``clusters``, by id, in four value queries."""
    rows = list(
        clusters.order_by("pk").values_list(
            "pk", "state__code", "members", "companies", "founded_year",
            "is_formally_organised", "name", "acronym", "description", "sector_label",
        )
    )  # fmt: skip
    if not rows:
        return []
    ids = clusters.values("pk")
    sectors: dict[int, set[str]] = defaultdict(set)
    for cluster_id, slug in Cluster.sectors.through.objects.filter(cluster_id__in=ids).values_list(
        "cluster_id", "sector__slug"
    ):
        sectors[cluster_id].add(slug)
    labels: dict[int, set[str]] = defaultdict(set)
    for cluster_id, level in QualityLabel.objects.filter(
        cluster_id__in=ids, is_valid=True
    ).values_list("cluster_id", "level"):
        labels[cluster_id].add(level)
    names: dict[int, list[str]] = defaultdict(list)
    for cluster_id, name in (
        ClusterName.objects.filter(cluster_id__in=ids)
        .order_by("cluster_id", "name")
        .values_list("cluster_id", "name")
    ):
        names[cluster_id].append(name)
    features = []
    for pk, state, members, companies, founded, organised, name, acronym, text, label in rows:
        has_size = members is not None or companies is not None or founded is not None
        full_text = cluster_text([name, *names.get(pk, ())], acronym, text, label)
        key = (
            pk,
            frozenset(sectors.get(pk, ())),
            state,
            frozenset(labels.get(pk, ())),
            has_size,
            organised,
            full_text,
        )
        features.append(_features(key))
    return features


def candidate_features(sector_slugs, *, exclude_ids=()) -> list[engine.ClusterFeatures]:
    """Features of the published clusters in any of ``sector_slugs`` (by the sector index)."""
    through = Cluster.sectors.through.objects.filter(sector__slug__in=sector_slugs)
    clusters = Cluster.objects.published().filter(pk__in=through.values("cluster_id"))
    if exclude_ids:
        clusters = clusters.exclude(pk__in=exclude_ids)
    return features_of(clusters)


# --- The process's snapshot ---------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """What the matching reads about clusters, as of one version token."""

    database: str
    token: int | None
    index: ClusterIndex
    neighbours: dict[str, frozenset[str]]
    sector_ids: dict[str, int]  # slug -> primary key
    read_at: object  # datetime of the last full read


_snapshot: Snapshot | None = None
_has_token: dict[str, bool] = {}


def clusters_version() -> int | None:
    """The token that moves with every committed write to the cluster data the matching
    reads, or None where the database keeps no such token."""
    if connection.vendor != "postgresql":
        return None
    name = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        if name not in _has_token:
            cursor.execute(
                "SELECT to_regclass('matchmaking_clusters_version') IS NOT NULL "
                "AND to_regclass('matchmaking_clusters_change') IS NOT NULL"
            )
            _has_token[name] = cursor.fetchone()[0]
        if not _has_token[name]:
            return None
        cursor.execute("SELECT token FROM matchmaking_clusters_version")
        row = cursor.fetchone()
    return None if row is None else row[0]


def _changed_since(token: int, until: int) -> set[int | None] | None:
    """Clusters changed by the tokens in (token, until]; None in the set: the taxonomy
    changed. None instead of a set if ``token`` was never committed (rolled back)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM matchmaking_clusters_change "
            "WHERE token = %s AND cluster_id = 0)",
            [token],
        )
        if not cursor.fetchone()[0]:
            return None
        cursor.execute(
            "SELECT DISTINCT cluster_id FROM matchmaking_clusters_change "
            "WHERE token > %s AND token <= %s AND cluster_id IS DISTINCT FROM 0",
            [token, until],
        )
        return {row[0] for row in cursor.fetchall()}


def _read_all(database: str, token: int | None) -> Snapshot:
    if token is not None:
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM matchmaking_clusters_change WHERE at < %s",
                [timezone.now() - CHANGES_KEPT],
            )
    index = ClusterIndex(features_of(Cluster.objects.published()), load_context())
    sector_ids = dict(Sector.objects.values_list("slug", "pk"))
    return Snapshot(database, token, index, neighbours(), sector_ids, timezone.now())


def _read_changes(previous: Snapshot, token: int) -> Snapshot | None:
    """``previous`` brought up to ``token`` by reading the changed clusters only; None if
    everything must be read again."""
    if (
        previous.token is None
        or token < previous.token
        or timezone.now() - previous.read_at > INCREMENTAL_FOR
    ):
        return None
    changed = _changed_since(previous.token, token)
    if changed is None or None in changed:
        return None
    fresh = {
        cluster.id: cluster
        for cluster in features_of(Cluster.objects.published().filter(pk__in=changed))
    }
    index = previous.index.patched(fresh.values(), gone=changed - fresh.keys())
    return Snapshot(
        previous.database, token, index, previous.neighbours, previous.sector_ids, previous.read_at
    )


def current(*, build: bool) -> Snapshot | None:
    """The process's snapshot brought up to date (cached when the token did not move while
    it was read). Without a token, a snapshot read now if ``build``, else None."""
    global _snapshot
    database = connection.settings_dict["NAME"]
    token = clusters_version()
    if token is None:
        return _read_all(database, None) if build else None
    previous = _snapshot if _snapshot is not None and _snapshot.database == database else None
    if previous is not None and previous.token == token:
        return previous
    snapshot = (_read_changes(previous, token) if previous else None) or _read_all(database, token)
    if clusters_version() == token:
        _snapshot = snapshot
    return snapshot


def load_index() -> ClusterIndex:
    """Every published cluster's features, by sector, with the strongholds: the process's,
    brought up to date (PostgreSQL), else read now."""
    return current(build=True).index
