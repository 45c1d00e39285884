"""The indexed candidate paths rank exactly what scoring every published cluster would.

Random small instances (sectors, ecosystems linking some of them, states, strongholds,
clusters with labels, sizes and text) are written to PostgreSQL; an interest is then matched
three ways and the results must be equal:

- ``suggest.compute_matches`` (the process's in-memory index, read by sector);
- the database's sector index (``candidate_features``) ranked by ``engine.rank``;
- every published cluster, read through the ORM, scored one by one with ``engine.score``.
"""

import json

import pytest
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusters.models import Cluster, ClusterName, Ecosystem, QualityLabel, SectorStronghold
from matchmaking import services
from matchmaking.matching import engine, suggest
from matchmaking.matching.features import candidate_features, cluster_text
from matchmaking.matching.index import ClusterIndex
from matchmaking.matching.terms import fold_terms
from matchmaking.models import Interest, Suggestion
from tests.factories import make_cluster, make_interest, make_sector, make_state

SECTORS = ["s-aero", "s-auto", "s-food", "s-ict"]
STATES = [("MX-NLE", "Nuevo León"), ("MX-BCN", "Baja California"), ("MX-JAL", "Jalisco")]
# Few words, so that descriptions often share up to text_cap's worth of terms.
WORDS = ["turbine", "Turbinas", "software", "logistics", "research", "training", "supplier",
         "Querétaro", "tier"]  # fmt: skip
KINDS = [kind.value for kind in engine.Kind]

text = st.lists(st.sampled_from(WORDS), max_size=9).map(" ".join)
cluster_spec = st.fixed_dictionaries(
    {
        "sectors": st.sets(st.sampled_from(SECTORS), max_size=2),
        "state": st.none() | st.sampled_from([code for code, _name in STATES]),
        "labels": st.lists(
            st.tuples(st.sampled_from(["gold", "silver", "bronze"]), st.booleans()),
            max_size=2,
            unique_by=lambda label: label[0],
        ),
        "members": st.none() | st.integers(1, 500),
        "organised": st.booleans(),
        "published": st.booleans(),
        "description": text,
        "other_name": st.none() | text.filter(bool),
    }
)
instance = st.fixed_dictionaries(
    {
        # Each ecosystem groups some sectors: sectors sharing one are related.
        "ecosystems": st.lists(st.sets(st.sampled_from(SECTORS), min_size=1), max_size=3),
        "strongholds": st.sets(
            st.tuples(st.sampled_from(SECTORS), st.sampled_from([c for c, _n in STATES]))
        ),
        "clusters": st.lists(cluster_spec, max_size=14),
        "interest": st.fixed_dictionaries(
            {
                "sectors": st.sets(st.sampled_from(SECTORS), min_size=1, max_size=2),
                "states": st.sets(st.sampled_from([c for c, _n in STATES]), max_size=2),
                "kinds": st.sets(st.sampled_from(KINDS), max_size=3),
                "description": text,
            }
        ),
        "limit": st.integers(1, 6),
        "exclude": st.sets(st.integers(0, 13), max_size=3),
    }
)


def build(spec) -> list[Cluster]:
    for code, name in STATES:
        make_state(code, name)
    sectors = {slug: make_sector(slug) for slug in SECTORS}
    for number, members in enumerate(spec["ecosystems"]):
        ecosystem = Ecosystem.objects.create(slug=f"eco-{number}", name=f"Ecosystem {number}")
        ecosystem.sectors.set([sectors[slug] for slug in members])
    for position, (slug, code) in enumerate(sorted(spec["strongholds"]), start=1):
        SectorStronghold.objects.create(
            sector=sectors[slug], state=make_state(code), position=position, source="test"
        )
    clusters = []
    for row in spec["clusters"]:
        cluster = make_cluster(
            sectors=sorted(row["sectors"]),
            state=make_state(row["state"]) if row["state"] else None,
            members=row["members"],
            is_formally_organised=row["organised"],
            is_published=row["published"],
            description=row["description"],
        )
        for level, valid in row["labels"]:
            QualityLabel.objects.create(cluster=cluster, level=level, is_valid=valid, source="t")
        if row["other_name"]:
            ClusterName.objects.create(cluster=cluster, name=row["other_name"], source="test")
        clusters.append(cluster)
    return clusters


def cluster_features(cluster: Cluster) -> engine.ClusterFeatures:
    """A cluster's features from its ORM instance: the reading ``every_pair`` checks the
    matching's own value queries (``matching.features.features_of``) against."""
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
        text=cluster_text(names, cluster.acronym, cluster.description, cluster.sector_label),
    )


def every_pair(features, exclude, limit) -> list[engine.Match]:
    """Score every published cluster, one by one, from ORM instances."""
    context = suggest.load_context()
    clusters = (
        Cluster.objects.published()
        .select_related("state")
        .prefetch_related("sectors", "labels", "other_names")
    )
    scored = [
        engine.score(features, cluster_features(cluster), context)
        for cluster in clusters
        if cluster.pk not in exclude
    ]
    ranked = sorted((m for m in scored if m is not None), key=lambda m: (-m.score, m.cluster_id))
    return ranked[:limit]


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=instance)
def test_indexed_candidates_rank_like_every_pair(spec):
    with transaction.atomic():
        clusters = build(spec)
        wanted = spec["interest"]
        sectors = frozenset(wanted["sectors"])
        features = engine.InterestFeatures(
            sectors=sectors,
            related_sectors=suggest.related_sector_slugs(sectors),
            states=frozenset(wanted["states"]),
            kinds=frozenset(wanted["kinds"]),
            description=wanted["description"],
        )
        exclude = [clusters[i].pk for i in spec["exclude"] if i < len(clusters)]
        limit = spec["limit"]

        expected = every_pair(features, set(exclude), limit)
        by_memory = suggest.load_index().rank(features, limit=limit, exclude=exclude)
        by_compute = suggest.compute_matches(features, exclude_ids=exclude, limit=limit)
        by_database = engine.rank(
            features,
            candidate_features(sectors | features.related_sectors, exclude_ids=exclude),
            suggest.load_context(),
            limit=limit,
            exclude=exclude,
        )
        assert by_memory == expected
        assert by_compute == expected
        assert by_database == expected
        transaction.set_rollback(True)


@settings(max_examples=200, deadline=None)
@given(
    sectors=st.sets(st.sampled_from(SECTORS), max_size=3),
    related=st.sets(st.sampled_from(SECTORS), max_size=3),
    states=st.sets(st.sampled_from([c for c, _n in STATES]), max_size=2),
    kinds=st.sets(st.sampled_from(KINDS), max_size=3),
    description=text,
    cluster_sectors=st.sets(st.sampled_from(SECTORS), max_size=3),
    state=st.none() | st.sampled_from([c for c, _n in STATES]),
    labels=st.sets(st.sampled_from(["gold", "silver", "bronze", "tin"]), max_size=2),
    strongholds=st.sets(
        st.tuples(st.sampled_from(SECTORS), st.sampled_from([c for c, _n in STATES]))
    ),
)
def test_points_agree_with_score(
    sectors, related, states, kinds, description, cluster_sectors, state, labels, strongholds
):
    """``engine.points`` (what the rankings sort by) is ``engine.score(...).score``."""
    interest = engine.InterestFeatures(
        sectors=frozenset(sectors),
        related_sectors=frozenset(related - sectors),
        states=frozenset(states),
        kinds=frozenset(kinds),
        description=description,
    )
    cluster = engine.ClusterFeatures(
        id=1,
        sectors=frozenset(cluster_sectors),
        state=state,
        valid_labels=frozenset(labels),
        has_size=bool(labels),
        is_formally_organised=state is None,
        text=description[::-1] + " turbine research",
    )
    context = engine.Context(strongholds=frozenset(strongholds))
    match = engine.score(interest, cluster, context)
    points = engine.points(interest, fold_terms(description), cluster, context.strongholds)
    assert points == (match.score if match else None)


features_spec = st.builds(
    lambda sectors, state, labels, size, organised, words: (
        frozenset(sectors),
        state,
        frozenset(labels),
        size,
        organised,
        " ".join(words),
    ),
    st.sets(st.sampled_from(SECTORS), max_size=3),
    st.none() | st.sampled_from([c for c, _n in STATES]),
    st.sets(st.sampled_from(["gold", "silver", "bronze"]), max_size=2),
    st.booleans(),
    st.booleans(),
    st.lists(st.sampled_from(WORDS), max_size=9),
)


@settings(max_examples=500, deadline=None)
@given(
    rows=st.lists(features_spec, max_size=40),
    sectors=st.sets(st.sampled_from(SECTORS), min_size=1, max_size=2),
    related=st.sets(st.sampled_from(SECTORS), max_size=3),
    states=st.sets(st.sampled_from([c for c, _n in STATES]), max_size=2),
    kinds=st.sets(st.sampled_from(KINDS), max_size=3),
    description=text,
    strongholds=st.sets(
        st.tuples(st.sampled_from(SECTORS), st.sampled_from([c for c, _n in STATES]))
    ),
    limit=st.integers(1, 8),
    exclude=st.sets(st.integers(1, 40), max_size=4),
)
def test_index_rank_equals_engine_rank(
    rows, sectors, related, states, kinds, description, strongholds, limit, exclude
):
    """In memory, on bigger instances than the database test: same ranking, ties included."""
    clusters = [engine.ClusterFeatures(number, *row) for number, row in enumerate(rows, start=1)]
    context = engine.Context(strongholds=frozenset(strongholds))
    interest = engine.InterestFeatures(
        sectors=frozenset(sectors),
        related_sectors=frozenset(related - sectors),
        states=frozenset(states),
        kinds=frozenset(kinds),
        description=description,
    )
    index = ClusterIndex(clusters, context)
    expected = engine.rank(interest, clusters, context, limit=limit, exclude=exclude)
    assert index.rank(interest, limit=limit, exclude=exclude) == expected


interest_spec = st.fixed_dictionaries(
    {
        "sectors": st.sets(st.sampled_from(SECTORS), min_size=1, max_size=2),
        "states": st.sets(st.sampled_from([c for c, _n in STATES]), max_size=2),
        "kinds": st.sets(st.sampled_from(KINDS), max_size=3),
        "description": text,
    }
)
change = st.one_of(
    st.tuples(st.just("description"), text),
    st.tuples(st.just("published"), st.booleans()),
    st.tuples(st.just("sectors"), st.sets(st.sampled_from(SECTORS), max_size=2)),
    st.tuples(st.just("state"), st.none() | st.sampled_from([c for c, _n in STATES])),
    st.tuples(st.just("label"), st.sampled_from(["gold", "silver", "bronze"])),
    st.tuples(st.just("size"), st.none() | st.integers(1, 100)),
)


def stored() -> set[tuple]:
    """Every suggestion as stored, and every interest's floor and the cluster holding it."""
    suggestions = Suggestion.objects.values_list(
        "interest_id", "cluster_id", "score", "is_current", "status", "reasons"
    )
    floors = Interest.objects.values_list("pk", "match_floor", "match_floor_cluster")
    return {(*row[:5], json.dumps(row[5])) for row in suggestions} | set(floors)


dense_cluster = cluster_spec.map(
    lambda row: {**row, "published": row["published"] or row["organised"]}
)
dense_instance = st.fixed_dictionaries(
    {
        "ecosystems": st.lists(st.sets(st.sampled_from(SECTORS), min_size=2), max_size=2),
        "strongholds": st.sets(
            st.tuples(st.sampled_from(SECTORS), st.sampled_from([c for c, _n in STATES]))
        ),
        # Every cluster in a sector, most published: interests have rivals for the top N.
        "clusters": st.lists(
            dense_cluster.filter(lambda row: row["sectors"]), min_size=3, max_size=12
        ),
    }
)


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    spec=dense_instance,
    interests=st.lists(interest_spec, min_size=1, max_size=6),
    top=st.integers(1, 4),
    which=st.integers(0, 13),
    edit=change,
    marks=st.lists(
        st.tuples(st.integers(0, 40), st.sampled_from(["interested", "not_relevant"])),
        max_size=3,
    ),
)
def test_a_cluster_change_leaves_what_rescoring_all_would(spec, interests, top, which, edit, marks):
    """After one cluster changes (and some suggestions were marked), ``cluster_change.apply``
    leaves every stored suggestion, floor and mark as re-scoring every interest would."""
    with transaction.atomic(), override_settings(MATCH_TOP_N=top):
        clusters = build(spec)
        ids = [
            make_interest(
                sectors=sorted(row["sectors"]),
                states=sorted(row["states"]),
                kinds=sorted(row["kinds"]),
                description=row["description"],
            ).pk
            for row in interests
        ]
        suggest.rescore_interests(ids)
        suggestions = list(Suggestion.objects.order_by("pk"))
        for position, status in marks if suggestions else ():
            services.mark_suggestion(
                suggestion=suggestions[position % len(suggestions)], status=status
            )
        cluster = clusters[which % len(clusters)]
        field, value = edit
        if field == "sectors":
            cluster.sectors.set([make_sector(slug) for slug in sorted(value)])
        elif field == "label":
            QualityLabel.objects.update_or_create(
                cluster=cluster, level=value, defaults={"is_valid": True, "source": "t"}
            )
        else:
            setattr(
                cluster,
                {"published": "is_published", "size": "members"}.get(field, field),
                make_state(value) if field == "state" and value else value,
            )
            cluster.save()

        suggest.apply_cluster_change(cluster.pk)
        # Marked "not relevant" since its last re-score: its top N waits for the next one.
        waiting = set(
            Suggestion.objects.filter(
                status=Suggestion.Status.NOT_RELEVANT, is_current=True
            ).values_list("interest_id", flat=True)
        )
        incremental = {row for row in stored() if row[0] not in waiting}
        for interest in Interest.objects.filter(pk__in=ids).exclude(pk__in=waiting):
            dismissed = set(
                interest.suggestions.filter(status=Suggestion.Status.NOT_RELEVANT).values_list(
                    "cluster_id", flat=True
                )
            )
            expected = every_pair(suggest.interest_features(interest), dismissed, top)
            current = Suggestion.objects.filter(interest=interest, is_current=True)
            assert sorted(current.values_list("cluster_id", "score")) == sorted(
                (match.cluster_id, match.score) for match in expected
            )
        suggest.rescore_interests(ids)
        assert incremental == {row for row in stored() if row[0] not in waiting}
        transaction.set_rollback(True)


interest_features_spec = st.builds(
    lambda sectors, related, states, kinds, description: engine.InterestFeatures(
        sectors=frozenset(sectors),
        related_sectors=frozenset(related - sectors),
        states=frozenset(states),
        kinds=frozenset(kinds),
        description=description,
    ),
    st.sets(st.sampled_from(SECTORS), min_size=1, max_size=2),
    st.sets(st.sampled_from(SECTORS), max_size=3),
    st.sets(st.sampled_from([c for c, _n in STATES]), max_size=2),
    st.sets(st.sampled_from(KINDS), max_size=3),
    text,
)


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(features_spec, min_size=1, max_size=30),
    changes=st.lists(st.tuples(st.integers(1, 35), st.none() | features_spec), max_size=4),
    interests=st.lists(interest_features_spec, min_size=1, max_size=5),
    strongholds=st.sets(
        st.tuples(st.sampled_from(SECTORS), st.sampled_from([c for c, _n in STATES]))
    ),
    limit=st.integers(1, 6),
    split=st.integers(0, 4),
    rank_between=st.booleans(),
)
def test_a_patched_index_ranks_like_a_new_one(
    rows, changes, interests, strongholds, limit, split, rank_between
):
    """``ClusterIndex.patched`` (what a worker does after a cluster change, its groups
    patched when first used rather than rebuilt), once or twice in a row, with or without
    ranking in between, ranks like an index built from scratch."""
    context = engine.Context(strongholds=frozenset(strongholds))
    clusters = {n: engine.ClusterFeatures(n, *row) for n, row in enumerate(rows, start=1)}
    index = ClusterIndex(clusters.values(), context)
    for interest in interests:  # build groups, so that there are some to patch
        index.rank(interest, limit=limit)
    patched = index
    for step in (changes[:split], changes[split:]):
        fresh, gone = {}, set()
        for number, row in step:
            if row is None:
                gone.add(number)
                fresh.pop(number, None)
                clusters.pop(number, None)
            else:
                fresh[number] = clusters[number] = engine.ClusterFeatures(number, *row)
                gone.discard(number)
        patched = patched.patched(fresh.values(), gone=gone)
        if rank_between:
            for interest in interests[:1]:
                patched.rank(interest, limit=limit)
    new = ClusterIndex(clusters.values(), context)
    for interest in interests:
        assert patched.rank(interest, limit=limit) == new.rank(interest, limit=limit)
