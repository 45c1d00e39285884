"""The matching engine and its reason sentences: pure tests, no database."""

import dataclasses
import json

import django
import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

if not settings.configured:
    # Run without pytest-django (-p no:django): gettext needs only settings and the app
    # registry, not the project's apps.
    settings.configure(USE_I18N=True, LANGUAGE_CODE="en", INSTALLED_APPS=[])
    django.setup()

from django.utils import translation  # noqa: E402

from matchmaking.matching.engine import (  # noqa: E402
    ENGINE_VERSION,
    KIND_RULES,
    WEIGHTS,
    ClusterFeatures,
    Context,
    InterestFeatures,
    Kind,
    Match,
    Reason,
    rank,
    score,
)
from matchmaking.matching.reasons import KIND_LABELS, render  # noqa: E402
from matchmaking.matching.terms import fold_terms  # noqa: E402

# Table 2 of the briefing, the rows these tests need.
STRONGHOLDS = Context(
    strongholds=frozenset(
        [("aerospace", s) for s in ("MX-BCN", "MX-NLE", "MX-CHH", "MX-QUE", "MX-SON")]
        + [("automotive", s) for s in ("MX-NLE", "MX-GUA", "MX-MEX", "MX-CHH", "MX-PUE")]
    )
)
NO_CONTEXT = Context(strongholds=frozenset())
SECTOR_NAMES = {"aerospace": "Aerospace", "electronics": "Electronics", "ict": "ICT and software"}
STATE_NAMES = {"MX-BCN": "Baja California", "MX-NLE": "Nuevo León"}


def interest_features(**kw) -> InterestFeatures:
    values = {
        "sectors": frozenset({"aerospace"}),
        "related_sectors": frozenset(),
        "states": frozenset(),
        "kinds": frozenset(),
        "description": "",
    }
    values.update({k: frozenset(v) if isinstance(v, set | list) else v for k, v in kw.items()})
    return InterestFeatures(**values)


def cluster_features(**kw) -> ClusterFeatures:
    values = {
        "id": 1,
        "sectors": frozenset({"aerospace"}),
        "state": None,
        "valid_labels": frozenset(),
        "has_size": False,
        "is_formally_organised": False,
        "text": "",
    }
    values.update({k: frozenset(v) if isinstance(v, set | list) else v for k, v in kw.items()})
    return ClusterFeatures(**values)


def is_candidate(interest: InterestFeatures, cluster: ClusterFeatures) -> bool:
    """The design's rule: a candidate shares an exact or a related sector."""
    return bool((interest.sectors | interest.related_sectors) & cluster.sectors)


def codes(match: Match | None) -> list[str]:
    assert match is not None
    return [r.code for r in match.reasons]


def reason(match: Match, code: str) -> Reason:
    return next(r for r in match.reasons if r.code == code)


# --- Weights --------------------------------------------------------------------------------


def test_weights_sum_to_exactly_100():
    assert WEIGHTS.maximum == 100
    assert isinstance(ENGINE_VERSION, int)


def test_the_perfect_cluster_scores_exactly_100():
    interest = interest_features(
        states={"MX-BCN"},
        kinds={Kind.TECHNOLOGY},
        description="turbine blades composites research interiors avionics",
    )
    cluster = cluster_features(
        state="MX-BCN",
        valid_labels={"gold"},
        has_size=True,
        text="Turbine blades, composites, research, interiors, avionics",
    )
    match = score(interest, cluster, STRONGHOLDS)
    assert match.score == 100
    assert sum(r.points for r in match.reasons) == 100


def test_signal_strength_order():
    w = WEIGHTS
    assert w.sector_exact > w.sector_related > 0
    assert w.target_state > w.stronghold > 0
    assert w.label_gold > w.label_silver > w.label_bronze > 0


# --- Sectors --------------------------------------------------------------------------------


def test_exact_sector_beats_related():
    interest = interest_features(sectors={"aerospace"}, related_sectors={"electronics"})
    exact = score(interest, cluster_features(sectors={"aerospace"}), NO_CONTEXT)
    related = score(interest, cluster_features(sectors={"electronics"}), NO_CONTEXT)
    assert exact.score == WEIGHTS.sector_exact
    assert related.score == WEIGHTS.sector_related
    assert codes(exact) == ["sector_exact"]
    assert codes(related) == ["sector_related"]
    assert related.reasons[0].params == (("sector", "electronics"),)


def test_related_sector_counts_only_without_an_exact_match():
    interest = interest_features(sectors={"aerospace"}, related_sectors={"electronics"})
    match = score(interest, cluster_features(sectors={"aerospace", "electronics"}), NO_CONTEXT)
    assert codes(match) == ["sector_exact"]
    assert match.score == WEIGHTS.sector_exact


def test_several_shared_sectors_are_named_in_one_reason():
    interest = interest_features(sectors={"aerospace", "electronics"})
    match = score(interest, cluster_features(sectors={"electronics", "aerospace"}), NO_CONTEXT)
    assert match.reasons == (Reason("sector_exact", (("sector", "aerospace,electronics"),), 40),)


def test_no_shared_sector_is_not_a_candidate():
    interest = interest_features(sectors={"aerospace"}, related_sectors={"electronics"})
    cluster = cluster_features(sectors={"textile"}, state="MX-BCN", valid_labels={"gold"})
    assert score(interest, cluster, STRONGHOLDS) is None
    assert not is_candidate(interest, cluster)
    assert is_candidate(interest, cluster_features(sectors={"electronics"}))
    assert is_candidate(interest, cluster_features(sectors={"aerospace"}))
    assert not is_candidate(interest, cluster_features(sectors=set()))


# --- States ---------------------------------------------------------------------------------


def test_target_state_adds_points():
    interest = interest_features(sectors={"textile"}, states={"MX-JAL", "MX-BCN"})
    inside = score(interest, cluster_features(sectors={"textile"}, state="MX-JAL"), NO_CONTEXT)
    outside = score(interest, cluster_features(sectors={"textile"}, state="MX-YUC"), NO_CONTEXT)
    unknown = score(interest, cluster_features(sectors={"textile"}, state=None), NO_CONTEXT)
    assert inside.score == outside.score + WEIGHTS.target_state
    assert reason(inside, "target_state").params == (("state", "MX-JAL"),)
    assert outside.score == unknown.score == WEIGHTS.sector_exact


def test_anywhere_has_no_state_penalty():
    anywhere = interest_features(sectors={"textile"}, states=set())
    match = score(anywhere, cluster_features(sectors={"textile"}, state="MX-YUC"), NO_CONTEXT)
    assert match.score == WEIGHTS.sector_exact


def test_stronghold_reason_for_baja_california_aerospace():
    interest = interest_features(states={"MX-BCN"})
    match = score(interest, cluster_features(state="MX-BCN"), STRONGHOLDS)
    assert reason(match, "stronghold") == Reason(
        "stronghold", (("sector", "aerospace"), ("state", "MX-BCN")), WEIGHTS.stronghold
    )
    # It adds to the target-state points.
    assert match.score == WEIGHTS.sector_exact + WEIGHTS.target_state + WEIGHTS.stronghold


def test_stronghold_applies_to_anywhere_interests_too():
    match = score(interest_features(), cluster_features(state="MX-NLE"), STRONGHOLDS)
    assert codes(match) == ["sector_exact", "stronghold"]


def test_stronghold_needs_a_shared_sector():
    # MX-NLE is an automotive stronghold, but the interest is about aerospace only.
    interest = interest_features(sectors={"aerospace"})
    cluster = cluster_features(sectors={"aerospace", "automotive"}, state="MX-GUA")
    assert "stronghold" not in codes(score(interest, cluster, STRONGHOLDS))
    # Matched by a related sector only: that sector's strongholds count.
    related = interest_features(sectors={"electronics"}, related_sectors={"automotive"})
    match = score(related, cluster_features(sectors={"automotive"}, state="MX-GUA"), STRONGHOLDS)
    assert reason(match, "stronghold").params == (("sector", "automotive"), ("state", "MX-GUA"))


def test_aerospace_baja_california_interest_ranks_bc_aerospace_first():
    interest = interest_features(
        sectors={"aerospace"}, related_sectors={"ict"}, states={"MX-BCN"}, description=""
    )
    bc_aero = cluster_features(id=3, state="MX-BCN", valid_labels={"bronze"})
    nl_aero = cluster_features(id=1, state="MX-NLE", has_size=True, is_formally_organised=True)
    bc_ict = cluster_features(id=2, sectors={"ict"}, state="MX-BCN", has_size=True)
    ranked = rank(interest, [nl_aero, bc_ict, bc_aero], STRONGHOLDS, limit=10)
    assert [m.cluster_id for m in ranked] == [3, 1, 2]
    assert codes(ranked[0]) == ["sector_exact", "target_state", "stronghold", "label"]


# --- Labels and size ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("labels", "level", "points"),
    [
        ({"gold"}, "gold", 8),
        ({"silver"}, "silver", 6),
        ({"bronze"}, "bronze", 4),
        ({"bronze", "gold", "silver"}, "gold", 8),
    ],
)
def test_best_valid_label_earns_points(labels, level, points):
    match = score(interest_features(), cluster_features(valid_labels=labels), NO_CONTEXT)
    assert reason(match, "label") == Reason("label", (("level", level),), points)
    assert match.score == WEIGHTS.sector_exact + points


def test_lapsed_labels_earn_nothing():
    # The caller passes valid labels only: a cluster whose labels all lapsed has none.
    lapsed = score(interest_features(), cluster_features(valid_labels=set()), NO_CONTEXT)
    assert "label" not in codes(lapsed)
    assert lapsed.score == WEIGHTS.sector_exact


def test_unknown_label_level_earns_nothing():
    match = score(interest_features(), cluster_features(valid_labels={"platinum"}), NO_CONTEXT)
    assert "label" not in codes(match)


def test_known_size_adds_points():
    match = score(interest_features(), cluster_features(has_size=True), NO_CONTEXT)
    assert reason(match, "size_known") == Reason("size_known", (), WEIGHTS.size_known)


# --- Text -----------------------------------------------------------------------------------


def test_text_overlap_is_accent_and_case_insensitive():
    interest = interest_features(description="Turbinas de energía")
    match = score(interest, cluster_features(text="TURBINAS ENERGIA eólica"), NO_CONTEXT)
    overlap = reason(match, "text_overlap")
    assert overlap.params == (("terms", "energia,turbina"),)
    assert overlap.points == 2 * WEIGHTS.text_per_term


def test_stop_words_are_ignored_in_both_languages():
    words = "para the with desde which nuestros about entre"
    assert fold_terms(words) == frozenset()
    match = score(interest_features(description=words), cluster_features(text=words), NO_CONTEXT)
    assert "text_overlap" not in codes(match)


def test_text_overlap_is_capped_and_names_three_terms():
    text = "avionics composites interiors turbines engines harnesses machining"
    match = score(
        interest_features(description=text), cluster_features(text=text.upper()), NO_CONTEXT
    )
    overlap = reason(match, "text_overlap")
    assert overlap.points == WEIGHTS.text_cap
    assert overlap.params == (("terms", "composite,machining,interior"),)  # longest first


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("Turbinas de energía", {"turbina", "energia"}),
        ("turbines turbine", {"turbine"}),
        ("industries technologies", {"technology"}),  # "industry" is a domain stop word
        ("proveedores proveedor interiores interiors", {"proveedor", "interior"}),
        ("universidades soluciones materiales", {"universidad", "solucion", "material"}),
        ("processes analysis campus sales", {"process", "analysis", "campus", "sale"}),
        ("clústeres Clusters sectores empresas México", set()),  # domain stop words
        ("R&D, RDI, I+D+i", {"r&d"}),
        ("ICT 2016 ab-cd uses", {"uses"}),  # short words and numbers dropped
        ("", set()),
    ],
)
def test_fold_terms(text, terms):
    assert fold_terms(text) == frozenset(terms)


def test_pre_folded_terms_are_used_instead_of_text():
    interest = interest_features(description="avionics composites")
    cluster = cluster_features(text="nothing shared", terms=frozenset({"avionic"}))
    assert reason(score(interest, cluster, NO_CONTEXT), "text_overlap").params == (
        ("terms", "avionic"),
    )


# --- Kinds ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "fits", "misfits"),
    [
        (Kind.MARKET_ACCESS, {"has_size": True}, {"is_formally_organised": True}),
        (Kind.TECHNOLOGY, {"text": "Centro de Investigación"}, {"text": "inversión"}),
        (Kind.TECHNOLOGY, {"text": "university links"}, {"text": "logistics park"}),
        (Kind.TECHNOLOGY, {"text": "R&D projects"}, {"text": "trade fair"}),
        (Kind.TECHNOLOGY, {"sectors": {"biotechnology"}}, {"sectors": {"textile"}}),
        (Kind.SUPPLY_CHAIN, {"text": "Tier 1 suppliers"}, {"text": "tierra"}),
        (Kind.SUPPLY_CHAIN, {"text": "proveeduría local"}, {"text": "hotel"}),
        (Kind.SUPPLY_CHAIN, {"sectors": {"automotive"}}, {"sectors": {"tourism"}}),
        (Kind.INVESTMENT, {"text": "incentivos a la inversión"}, {"text": "investigación"}),
        (Kind.INVESTMENT, {"text": "attracts investors"}, {"text": "research"}),
        (Kind.CLUSTER_COOPERATION, {"is_formally_organised": True}, {"has_size": True}),
        (Kind.CLUSTER_COOPERATION, {"valid_labels": {"bronze"}}, {"text": "cooperation"}),
        (Kind.SKILLS, {"text": "capacitación y formación"}, {"text": "comercio"}),
        (Kind.SKILLS, {"text": "training centre"}, {"text": "export office"}),
    ],
)
def test_kind_fit_rules(kind, fits, misfits):
    sectors = {"tourism", "textile", "biotechnology", "automotive"}
    interest = interest_features(sectors=sectors, kinds={kind})
    good = score(interest, cluster_features(**{"sectors": {"tourism"}, **fits}), NO_CONTEXT)
    bad = score(interest, cluster_features(**{"sectors": {"tourism"}, **misfits}), NO_CONTEXT)
    assert reason(good, "kind_fit") == Reason("kind_fit", (("kind", kind.value),), 8)
    assert "kind_fit" not in codes(bad)


def test_every_kind_has_a_rule_and_a_label():
    assert set(KIND_RULES) == set(Kind) == set(KIND_LABELS)


def test_several_fitting_kinds_share_one_flat_bonus():
    interest = interest_features(kinds={Kind.SKILLS, Kind.MARKET_ACCESS, Kind.INVESTMENT})
    match = score(interest, cluster_features(has_size=True, text="training"), NO_CONTEXT)
    assert reason(match, "kind_fit") == Reason(
        "kind_fit", (("kind", "market_access,skills"),), WEIGHTS.kind_fit
    )


# --- Reasons and ranking --------------------------------------------------------------------


def test_reasons_are_ordered_by_points_then_code():
    interest = interest_features(states={"MX-BCN"}, kinds={Kind.MARKET_ACCESS})
    cluster = cluster_features(state="MX-BCN", has_size=True, valid_labels={"bronze"})
    match = score(interest, cluster, STRONGHOLDS)
    assert [(r.code, r.points) for r in match.reasons] == [
        ("sector_exact", 40),
        ("target_state", 20),
        ("stronghold", 10),
        ("kind_fit", 8),
        ("label", 4),
        ("size_known", 4),
    ]


def test_rank_honours_limit_exclude_and_orders_ties_by_id():
    interest = interest_features(related_sectors={"ict"})
    clusters = [
        cluster_features(id=5),
        cluster_features(id=2),
        cluster_features(id=9, has_size=True),
        cluster_features(id=4, sectors={"ict"}),
        cluster_features(id=7, sectors={"textile"}),
    ]
    assert [m.cluster_id for m in rank(interest, clusters, NO_CONTEXT, limit=10)] == [9, 2, 5, 4]
    assert [m.cluster_id for m in rank(interest, clusters, NO_CONTEXT, limit=2)] == [9, 2]
    assert [
        m.cluster_id for m in rank(interest, clusters, NO_CONTEXT, limit=2, exclude={9, 2})
    ] == [5, 4]
    assert rank(interest, clusters, NO_CONTEXT, limit=0) == []
    assert rank(interest, iter(clusters), NO_CONTEXT, limit=1)[0].cluster_id == 9


def test_reason_round_trips_through_dict_and_json():
    original = Reason("stronghold", (("sector", "aerospace"), ("state", "MX-BCN")), 10)
    as_dict = original.to_dict()
    assert as_dict == {
        "code": "stronghold",
        "params": {"sector": "aerospace", "state": "MX-BCN"},
        "points": 10,
    }
    assert Reason.from_dict(as_dict) == original
    assert Reason.from_dict(json.loads(json.dumps(as_dict))) == original
    assert Reason.from_dict({"code": "size_known", "params": {}, "points": 4}).params == ()


def test_engine_reasons_survive_json():
    interest = interest_features(states={"MX-BCN"}, description="turbines", kinds={Kind.SKILLS})
    cluster = cluster_features(state="MX-BCN", valid_labels={"gold"}, text="Turbines, training")
    match = score(interest, cluster, STRONGHOLDS)
    stored = json.loads(json.dumps([r.to_dict() for r in match.reasons]))
    assert tuple(Reason.from_dict(d) for d in stored) == match.reasons


# --- Rendering ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason_", "sentence"),
    [
        (Reason("sector_exact", (("sector", "aerospace"),), 40), "Same sector: Aerospace"),
        (
            Reason("sector_exact", (("sector", "aerospace,electronics"),), 40),
            "Same sectors: Aerospace and Electronics",
        ),
        (Reason("sector_related", (("sector", "electronics"),), 20), "Related sector: Electronics"),
        (
            Reason("target_state", (("state", "MX-BCN"),), 20),
            "In your target state Baja California",
        ),
        (
            Reason("stronghold", (("sector", "aerospace"), ("state", "MX-BCN")), 10),
            "Baja California is where Mexico's aerospace clusters concentrate (briefing, Table 2)",
        ),
        (
            Reason("stronghold", (("sector", "ict"), ("state", "MX-NLE")), 10),
            "Nuevo León is where Mexico's ICT and software clusters concentrate"
            " (briefing, Table 2)",
        ),
        (
            Reason("label", (("level", "bronze"),), 4),
            "Holds an ESCA Bronze label, valid at the briefing's date (Dec 2016)",
        ),
        (
            Reason("size_known", (), 4),
            "Known size and maturity (members, companies or founding year given)",
        ),
        (
            Reason("text_overlap", (("terms", "turbine"),), 2),
            "Your description mentions 'turbine', as does its profile",
        ),
        (
            Reason("text_overlap", (("terms", "turbine,interiors"),), 4),
            "Your description mentions 'turbine' and 'interiors', as does its profile",
        ),
        (
            Reason("text_overlap", (("terms", "turbine,interior,avionic"),), 6),
            "Your description mentions 'turbine', 'interior' and 'avionic', as does its profile",
        ),
        (
            Reason("kind_fit", (("kind", "technology"),), 8),
            "Fits your aim: technology & R&D partnership",
        ),
        (
            Reason("kind_fit", (("kind", "market_access,skills"),), 8),
            "Fits your aims: market access/export and skills/training",
        ),
        # Missing names fall back to the raw slug/code.
        (Reason("sector_exact", (("sector", "quantum"),), 40), "Same sector: quantum"),
        (Reason("target_state", (("state", "MX-XXX"),), 20), "In your target state MX-XXX"),
        (Reason("kind_fit", (("kind", "barter"),), 8), "Fits your aim: barter"),
        (Reason("mystery", (), 0), "mystery"),
    ],
)
def test_render(reason_, sentence):
    with translation.override("en"):
        assert render(reason_, sector_names=SECTOR_NAMES, state_names=STATE_NAMES) == sentence


def test_every_engine_reason_renders():
    interest = interest_features(
        states={"MX-BCN"}, kinds={Kind.TECHNOLOGY}, description="research turbines"
    )
    cluster = cluster_features(
        state="MX-BCN", valid_labels={"gold"}, has_size=True, text="research turbines"
    )
    with translation.override("en"):
        sentences = [
            render(r, sector_names=SECTOR_NAMES, state_names=STATE_NAMES)
            for r in score(interest, cluster, STRONGHOLDS).reasons
        ]
    assert sentences == [
        "Same sector: Aerospace",
        "In your target state Baja California",
        "Baja California is where Mexico's aerospace clusters concentrate (briefing, Table 2)",
        "Fits your aim: technology & R&D partnership",
        "Holds an ESCA Gold label, valid at the briefing's date (Dec 2016)",
        "Known size and maturity (members, companies or founding year given)",  # 4 points
        "Your description mentions 'research' and 'turbine', as does its profile",  # 4 points
    ]


# --- Properties -----------------------------------------------------------------------------

SECTORS = ["aerospace", "automotive", "electronics", "ict", "biotechnology", "textile"]
STATES = ["MX-BCN", "MX-NLE", "MX-CHH", "MX-JAL"]
WORDS = [
    "turbinas",
    "Turbina",
    "energía",
    "ENERGIA",
    "research",
    "investigación",
    "suppliers",
    "proveedores",
    "training",
    "inversión",
    "para",
    "the",
    "clúster",
    "avionics",
    "R&D",
]

texts = st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join)
sector_sets = st.frozensets(st.sampled_from(SECTORS), max_size=3)
interests = st.builds(
    lambda sectors, related, states, kinds, description: InterestFeatures(
        sectors=sectors,
        related_sectors=related - sectors,
        states=states,
        kinds=kinds,
        description=description,
    ),
    st.frozensets(st.sampled_from(SECTORS), min_size=1, max_size=3),
    sector_sets,
    st.frozensets(st.sampled_from(STATES), max_size=3),
    st.frozensets(st.sampled_from([k.value for k in Kind])),
    texts,
)
clusters = st.builds(
    ClusterFeatures,
    id=st.integers(1, 20),
    sectors=sector_sets,
    state=st.none() | st.sampled_from(STATES),
    valid_labels=st.frozensets(st.sampled_from(["gold", "silver", "bronze"])),
    has_size=st.booleans(),
    is_formally_organised=st.booleans(),
    text=texts,
)
contexts = st.builds(
    Context,
    st.frozensets(st.tuples(st.sampled_from(SECTORS), st.sampled_from(STATES)), max_size=8),
)


@given(interests, clusters, contexts)
def test_score_is_within_bounds_and_explained(interest, cluster, context):
    match = score(interest, cluster, context)
    assert (match is None) == (not is_candidate(interest, cluster))
    if match is not None:
        assert 0 <= match.score <= 100
        assert match.score == sum(r.points for r in match.reasons)
        assert list(match.reasons) == sorted(match.reasons, key=lambda r: (-r.points, r.code))
        assert len({r.code for r in match.reasons}) == len(match.reasons)


@given(interests, clusters, contexts, st.sampled_from(["gold", "silver", "bronze"]))
def test_adding_a_valid_label_never_lowers_the_score(interest, cluster, context, level):
    labelled = dataclasses.replace(cluster, valid_labels=cluster.valid_labels | {level})
    before, after = score(interest, cluster, context), score(interest, labelled, context)
    assert (before is None) == (after is None)
    if before is not None:
        assert after.score >= before.score


@given(interests, clusters, contexts, st.sampled_from(STATES))
def test_adding_a_target_state_never_lowers_the_score(interest, cluster, context, state):
    wider = dataclasses.replace(interest, states=interest.states | {state})
    before, after = score(interest, cluster, context), score(wider, cluster, context)
    assert (before is None) == (after is None)
    if before is not None:
        assert after.score >= before.score


@given(
    interests,
    st.lists(clusters, max_size=12),
    contexts,
    st.integers(0, 15),
    st.frozensets(st.integers(1, 20), max_size=5),
)
def test_rank_equals_scoring_all_then_sorting(interest, cluster_list, context, limit, exclude):
    expected = sorted(
        (
            m
            for c in cluster_list
            if c.id not in exclude and (m := score(interest, c, context)) is not None
        ),
        key=lambda m: (-m.score, m.cluster_id),
    )[:limit]
    assert rank(interest, cluster_list, context, limit=limit, exclude=exclude) == expected


@given(st.text(alphabet=st.characters(codec="latin-1") | st.sampled_from("ŁłŒœ–“”’\u0301")))
def test_fold_terms_ignores_case_and_accents(text):
    from clusters.text import fold

    assert fold_terms(text) == fold_terms(fold(text)) == fold_terms(text.upper().lower())
