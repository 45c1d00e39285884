"""Matching through the real queue: Redis broker, Celery worker processes, PostgreSQL."""

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from clusters.models import Cluster
from clusters.signals import clusters_changed
from matchmaking.enqueue import enqueue_on_commit
from matchmaking.matching import engine
from matchmaking.models import (
    Interest,
    MatchRun,
    Organisation,
    PendingClusterChange,
    Suggestion,
)
from matchmaking.tasks import match_interest, sweep
from tests.factories import make_interest, make_organisation
from tests.realservices import wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgresql(
        reason="the worker processes share the test database, which SQLite keeps in memory"
    ),
]


@pytest.fixture
def loaded(transactional_db):
    call_command("load_briefing", verbosity=0)


def unmatched_interest(name: str, sectors: list[str], states: list[str] = ()) -> Interest:
    """An SME's interest, saved but not matched yet."""
    organisation = make_organisation(
        email=f"{name}@example.eu", name=name, kind=Organisation.Kind.SME
    )
    return make_interest(
        organisation,
        sectors=sectors,
        states=states,
        matched=False,
        title=f"{name} interest",
        description="Turbine parts and plane interiors",
    )


def save_and_enqueue(interest: Interest) -> None:
    """What saving an interest does: commit, then enqueue its scoring."""
    with transaction.atomic():
        Interest.objects.filter(pk=interest.pk).update(changed_at=timezone.now())
        enqueue_on_commit(match_interest, interest.pk)


def suggestions_of(interest: Interest):
    return list(
        Suggestion.objects.filter(interest=interest)
        .select_related("cluster__state")
        .order_by("-score")
    )


def test_a_real_worker_matches_a_saved_interest(loaded, worker):
    interest = unmatched_interest("aero", ["aerospace"], ["MX-BCN"])
    save_and_enqueue(interest)

    found = wait_for(lambda: suggestions_of(interest), timeout=60, what="suggestions")
    interest.refresh_from_db()
    assert interest.matched_version == engine.ENGINE_VERSION
    # Baja California's aerospace clusters come first.
    top_two = {s.cluster.name for s in found[:2]}
    assert top_two == {"Aerospace Alliance of Baja California, A.C", "Clúster Aeroespacial"}
    assert all(s.cluster.state and s.cluster.state.code == "MX-BCN" for s in found[:2])
    codes = {reason["code"] for reason in found[0].reasons}
    assert {"sector_exact", "target_state", "stronghold", "label"} <= codes
    assert MatchRun.objects.filter(trigger="interest", status="done").exists()


def test_interest_saved_while_redis_is_down_is_matched_after_it_returns(
    loaded, worker, celery_broker
):
    celery_broker.stop()
    interest = unmatched_interest("offline", ["biotechnology"])
    save_and_enqueue(interest)  # the broker is down: the save still succeeds
    assert Interest.objects.filter(pk=interest.pk).exists()
    assert not suggestions_of(interest)

    celery_broker.start()
    assert sweep() == 1  # the beat's sweep finds it and enqueues it
    # The worker reconnects by itself and consumes what the sweep enqueued.
    found = wait_for(lambda: suggestions_of(interest), timeout=90, what="suggestions after sweep")
    assert {s.cluster.name for s in found} >= {
        "Cluster Biotecnológico de Nuevo León",
        "Cluster BioTQ",
    }


def test_editing_one_cluster_rescores_only_the_interests_it_affects(loaded, worker):
    aerospace = unmatched_interest("aero2", ["aerospace"])
    textile = unmatched_interest("textile", ["textile"])
    for interest in (aerospace, textile):
        save_and_enqueue(interest)
    wait_for(
        lambda: Interest.objects.filter(matched_at__isnull=False).count() == 2,
        timeout=60, what="first matches",
    )  # fmt: skip
    textile_matched_at = Interest.objects.get(pk=textile.pk).matched_at

    cluster = Cluster.objects.get(name="Cluster Aeroespacial Sonora")
    with transaction.atomic():
        cluster.description = "Aerospace turbine machining in Sonora."
        cluster.save()
        clusters_changed.send(sender=Cluster, cluster_ids=[cluster.pk])

    run = wait_for(
        lambda: MatchRun.objects.filter(trigger="cluster", status="done").first(),
        timeout=60, what="cluster re-score",
    )  # fmt: skip
    assert run.interests_scored == 1
    assert Interest.objects.get(pk=textile.pk).matched_at == textile_matched_at
    suggestion = Suggestion.objects.get(interest=aerospace, cluster=cluster)
    assert any(r["code"] == "text_overlap" for r in suggestion.reasons)
    wait_for(
        lambda: not PendingClusterChange.objects.exists(), timeout=10, what="change cleared"
    )  # fmt: skip


def test_a_cluster_edited_while_redis_is_down_is_applied_by_the_sweep(
    loaded, worker, celery_broker
):
    aerospace = unmatched_interest("aero3", ["aerospace"])
    save_and_enqueue(aerospace)
    wait_for(
        lambda: Interest.objects.filter(pk=aerospace.pk, matched_at__isnull=False).exists(),
        timeout=60, what="first match",
    )  # fmt: skip
    cluster = Cluster.objects.get(name="Cluster Aeroespacial Sonora")
    assert not any(
        r["code"] == "text_overlap"
        for r in Suggestion.objects.get(interest=aerospace, cluster=cluster).reasons
    )

    celery_broker.stop()
    with transaction.atomic():  # the admin's save: it succeeds, its task cannot be sent
        cluster.description = "Aerospace turbine machining in Sonora."
        cluster.save()
        clusters_changed.send(sender=Cluster, cluster_ids=[cluster.pk])
    assert list(PendingClusterChange.objects.values_list("cluster_id", flat=True)) == [cluster.pk]

    celery_broker.start()
    assert sweep() == 1  # the beat's sweep finds the change and enqueues it
    wait_for(
        lambda: not PendingClusterChange.objects.exists(), timeout=90, what="change applied"
    )  # fmt: skip
    suggestion = Suggestion.objects.get(interest=aerospace, cluster=cluster)
    assert any(r["code"] == "text_overlap" for r in suggestion.reasons)
    assert MatchRun.objects.filter(trigger="cluster", status="done").count() == 1
