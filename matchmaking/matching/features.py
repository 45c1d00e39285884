"""What the matching reads: interests and clusters as the engine's features, related
sectors and strongholds, and the process's in-memory index of every published cluster.

Interests are locked and read in a batch (``lock_and_read``); clusters from value queries
(``features_of``), their features cached per process by everything they are computed from
(a cluster's folded text and fitting kinds are computed once; a changed cluster is a
different key). Related sectors (sharing an EU industrial ecosystem) are computed one way:
``sector_neighbours()`` then ``related()``.

``published()`` keeps every published cluster's features in a ``ClusterIndex``, as of the
cluster data's version token (``clusters.data_version``, PostgreSQL): while the token has not
moved it is reused as it is; after a change only the clusters changed since are read again
(everything after a taxonomy change, half a day without a full read, or on first use), so it
is never stale and rarely rebuilt. Without a token (SQLite) nothing is kept across calls.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from clusters import data_version
from clusters.models import Cluster, ClusterName, QualityLabel, Sector, SectorStronghold
from matchmaking.matching import engine
from matchmaking.matching.index import ClusterIndex
from matchmaking.models import Interest

# How long the cluster data's change log is kept; an index older than that is read again.
CHANGES_KEPT = timedelta(days=1)
INCREMENTAL_FOR = timedelta(hours=12)


# --- Sectors and strongholds --------------------------------------------------------------


def sector_neighbours() -> dict[str, frozenset[str]]:
    """Each sector slug -> every sector sharing an ecosystem with it (itself included when it
    has an ecosystem)."""
    pairs = Sector.objects.filter(ecosystems__sectors__isnull=False).values_list(
        "slug", "ecosystems__sectors__slug"
    )
    found: dict[str, set[str]] = defaultdict(set)
    for slug, other in pairs:
        found[slug].add(other)
    return {slug: frozenset(others) for slug, others in found.items()}


def related(sectors: frozenset[str], neighbours: dict[str, frozenset[str]]) -> frozenset[str]:
    """The sectors related to ``sectors`` (sharing an ecosystem), ``sectors`` excluded."""
    found: set[str] = set()
    for slug in sectors:
        found |= neighbours.get(slug, frozenset())
    return frozenset(found - sectors)


def related_sector_slugs(sectors: frozenset[str]) -> frozenset[str]:
    """``related(sectors, sector_neighbours())``."""
    return related(sectors, sector_neighbours())


def load_context() -> engine.Context:
    pairs = SectorStronghold.objects.values_list("sector__slug", "state__code")
    return engine.Context(strongholds=frozenset(pairs))


def cluster_text(names: Iterable[str], acronym: str, description: str, label: str) -> str:
    return " ".join([*names, acronym, description, label])


# --- Interests ----------------------------------------------------------------------------


def interest_features(interest: Interest) -> engine.InterestFeatures:
    """The features of one saved interest (three queries)."""
    sectors = frozenset(interest.sectors.values_list("slug", flat=True))
    return engine.InterestFeatures(
        sectors=sectors,
        related_sectors=related_sector_slugs(sectors),
        states=frozenset(interest.states.values_list("code", flat=True)),
        kinds=frozenset(interest.kinds),
        description=interest.description,
    )


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
        neighbours = sector_neighbours()
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
                related_sectors=related(chosen, neighbours),
                states=frozenset(states.get(pk, ())),
                kinds=frozenset(kinds),
                description=description,
            )
        found.append(interest)
    return found


# --- Clusters ---------------------------------------------------------------------------

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


# --- The process's index of every published cluster ---------------------------------------


@dataclass(frozen=True)
class PublishedClusters:
    """Every published cluster's features as of one version token, with what scoring reads
    beside them."""

    database: str
    token: int | None
    index: ClusterIndex
    neighbours: dict[str, frozenset[str]]
    read_at: datetime  # when everything was last read


_kept: PublishedClusters | None = None


def _read_all(database: str, token: int | None) -> PublishedClusters:
    if token is not None:
        data_version.forget_changes_before(timezone.now() - CHANGES_KEPT)
    index = ClusterIndex(features_of(Cluster.objects.published()), load_context())
    return PublishedClusters(database, token, index, sector_neighbours(), timezone.now())


def _read_changes(previous: PublishedClusters, token: int) -> PublishedClusters | None:
    """``previous`` brought up to ``token`` by reading the changed clusters only; None if
    everything must be read again."""
    if (
        previous.token is None
        or token < previous.token
        or timezone.now() - previous.read_at > INCREMENTAL_FOR
    ):
        return None
    changed = data_version.changed_since(previous.token, token)
    if changed is None or None in changed:
        return None
    fresh = {
        cluster.id: cluster
        for cluster in features_of(Cluster.objects.published().filter(pk__in=changed))
    }
    index = previous.index.patched(fresh.values(), gone=changed - fresh.keys())
    return PublishedClusters(previous.database, token, index, previous.neighbours, previous.read_at)


def published(*, build: bool) -> PublishedClusters | None:
    """The process's published clusters brought up to date (kept when the token did not move
    while they were read). Without a token: read now if ``build``, else None."""
    global _kept
    database = connection.settings_dict["NAME"]
    token = data_version.current()
    if token is None:
        return _read_all(database, None) if build else None
    previous = _kept if _kept is not None and _kept.database == database else None
    if previous is not None and previous.token == token:
        return previous
    found = (_read_changes(previous, token) if previous else None) or _read_all(database, token)
    if data_version.current() == token:
        _kept = found
    return found


def load_index() -> ClusterIndex:
    """Every published cluster's features, by sector, with the strongholds: the process's,
    brought up to date (PostgreSQL), else read now."""
    return published(build=True).index
