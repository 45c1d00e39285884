"""The match quality check of issue 16: its metrics, its evaluation set, and the check itself
on the test database with the briefing loaded (CI fails below the committed threshold)."""

import json
import os
import subprocess
import sys
from math import log2
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction

from benchmarks.quality import NDCG_THRESHOLD
from benchmarks.quality.evaluate import check, measure, report
from benchmarks.quality.metrics import (
    dcg,
    ideal_precision_at_k,
    ndcg_at_k,
    precision_at_k,
)
from benchmarks.quality.personas import PersonaError, load_personas

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {"a": 3, "b": 2, "c": 1}

# --- Metrics ---------------------------------------------------------------------------------


def test_dcg_uses_exponential_gains_and_log_discount():
    # 7/log2(2) + 3/log2(3) + 1/log2(4)
    assert dcg([3, 2, 1]) == pytest.approx(7 + 3 / log2(3) + 0.5)
    assert dcg([0, 3]) == pytest.approx(7 / log2(3))


def test_ndcg_is_one_for_the_experts_order_and_less_for_any_other():
    assert ndcg_at_k(["a", "b", "c"], EXPECTED) == pytest.approx(1.0)
    swapped = ndcg_at_k(["b", "a", "c"], EXPECTED)
    ideal = 7 + 3 / log2(3) + 0.5
    assert swapped == pytest.approx((3 + 7 / log2(3) + 0.5) / ideal)
    assert swapped < 1.0


def test_ndcg_counts_unlisted_clusters_as_zero_and_stops_at_five():
    ideal = 7 + 3 / log2(3) + 0.5
    assert ndcg_at_k(["x", "a"], EXPECTED) == pytest.approx((7 / log2(3)) / ideal)
    # "a" at rank 6 is beyond the cut-off.
    assert ndcg_at_k(["v", "w", "x", "y", "z", "a"], EXPECTED) == 0.0


def test_ndcg_of_an_empty_expert_list_rewards_suggesting_nothing():
    assert ndcg_at_k([], {}) == 1.0
    assert ndcg_at_k(["x"], {}) == 0.0


def test_precision_at_5_counts_graded_clusters_over_five():
    assert precision_at_k(["a", "x", "c", "y", "z"], EXPECTED) == pytest.approx(0.4)
    assert precision_at_k(["a"], EXPECTED) == pytest.approx(0.2)
    assert precision_at_k(["x", "y", "z", "w", "v", "a"], EXPECTED) == 0.0
    assert ideal_precision_at_k(EXPECTED) == pytest.approx(0.6)
    assert ideal_precision_at_k({}) == 0.0


# --- The evaluation set --------------------------------------------------------------------


def test_the_evaluation_set_covers_the_briefing():
    briefing = json.loads((ROOT / "fixtures" / "briefing.json").read_text(encoding="utf-8"))
    slugs = {cluster["slug"] for cluster in briefing["clusters"]}
    sectors = {sector["slug"] for sector in briefing["sectors"]}
    states = {state["code"] for state in briefing["states"]}
    personas = load_personas()
    assert len(personas) >= 30
    assert len({persona.country for persona in personas}) >= 15
    for persona in personas:
        assert set(persona.sectors) <= sectors, persona.id
        assert set(persona.states) <= states, persona.id
        assert set(persona.expected) <= slugs, persona.id
    # Every sector holding a cluster is some persona's choice.
    clustered = {sector for cluster in briefing["clusters"] for sector in cluster["sectors"]}
    assert clustered <= {sector for persona in personas for sector in persona.sectors}
    # At least one persona whose honest answer is none.
    assert any(not persona.expected for persona in personas)


def test_a_malformed_grade_is_refused_with_the_persona_named(tmp_path):
    path = tmp_path / "personas.toml"
    path.write_text(
        '[[persona]]\nid = "p"\norganisation = "O"\ncountry = "DE"\nsectors = ["mining"]\n'
        'states = []\nkinds = []\ndescription = ""\n'
        '[persona.expected]\n"cluster-minero-zacatecas" = [4, "no such grade"]\n',
        encoding="utf-8",
    )
    with pytest.raises(PersonaError, match="persona p: cluster-minero-zacatecas"):
        load_personas(path)


# --- The check, against the engine ----------------------------------------------------------


@pytest.fixture(scope="module")
def measured(django_db_setup, django_db_blocker):
    """The current engine measured once for this module, on the briefing (rolled back)."""
    from benchmarks.quality.engines import CURRENT

    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_briefing", verbosity=0)
        result = measure(CURRENT, load_personas())
        transaction.set_rollback(True)
    return result


@pytest.mark.django_db  # so that pytest-django sets up the test database
def test_the_engine_reaches_the_committed_threshold(measured):
    assert len(measured.personas) == len(load_personas())
    assert measured.mean_ndcg >= NDCG_THRESHOLD, report(measured, None)
    assert check(measured) == 0


@pytest.mark.django_db  # so that pytest-django sets up the test database
def test_the_check_fails_below_the_threshold(measured):
    assert check(measured, threshold=measured.mean_ndcg + 0.001) == 1
    assert check(measured, threshold=measured.mean_ndcg) == 0


@pytest.mark.django_db  # so that pytest-django sets up the test database
def test_the_report_shows_a_previous_version_beside_the_current_one(measured):
    from benchmarks.quality.engines import EngineVersion

    assert "previous version: n/a" in report(measured, None)
    # A "previous version" that ranks each persona's expert list in the expert's order.
    perfect = EngineVersion(
        "v0", lambda persona: sorted(persona.expected, key=persona.expected.get, reverse=True)
    )
    before = measure(perfect, load_personas())
    text = report(measured, before)
    assert "previous version: n/a" not in text
    assert f"overall v0: mean nDCG@5 {before.mean_ndcg:.3f}" in text
    assert before.mean_ndcg > measured.mean_ndcg


def test_the_command_runs_on_its_own_database_and_passes():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": ""}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quality"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "overall v1: mean nDCG@5" in done.stdout
    assert "previous version: n/a" in done.stdout
