"""Reloading the briefing re-scores what it changes for interests matched before it, as the
same change made in the admin would; a first load has nothing to re-score."""

import io

import pytest
from django.core.management import call_command

from clusters.models import Cluster, Sector, SectorStronghold
from matchmaking.models import PendingClusterChange
from tests.factories import capture_enqueues, make_interest

pytestmark = pytest.mark.django_db


def _load(django_capture_on_commit_callbacks, *args):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_briefing", *args, verbosity=0)


def test_a_first_load_enqueues_nothing(monkeypatch, django_capture_on_commit_callbacks):
    enqueued = capture_enqueues(monkeypatch)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_briefing", stdout=out)
    assert Cluster.objects.count() > 0
    assert enqueued == []
    assert not PendingClusterChange.objects.exists()
    assert "re-scored" not in out.getvalue()  # nothing was matched to re-score


def test_a_reload_changing_strongholds_rematches_the_interests_in_that_sector(
    briefing, monkeypatch, django_capture_on_commit_callbacks
):
    aerospace = make_interest(sectors=["aerospace"])
    make_interest(sectors=["textile"])  # a sector the change does not touch
    enqueued = capture_enqueues(monkeypatch)
    _load(django_capture_on_commit_callbacks)
    assert enqueued == []  # nothing changed

    SectorStronghold.objects.filter(sector__slug="aerospace").first().delete()
    _load(django_capture_on_commit_callbacks)
    assert enqueued == [("matchmaking.tasks.match_interest", (aerospace.pk,))]
    assert not PendingClusterChange.objects.exists()  # no cluster changed


def test_a_reload_changing_a_profile_rescores_where_that_cluster_scores(
    briefing, monkeypatch, django_capture_on_commit_callbacks
):
    make_interest(sectors=["automotive"])
    cluster = Cluster.objects.get(acronym="CLAUGTO")
    Cluster.objects.filter(pk=cluster.pk).update(description="Edited.")
    enqueued = capture_enqueues(monkeypatch)
    _load(django_capture_on_commit_callbacks)
    assert enqueued == [("matchmaking.tasks.match_for_cluster", (cluster.pk,))]
    assert list(PendingClusterChange.objects.values_list("cluster_id", flat=True)) == [cluster.pk]


def test_a_curated_profile_rescores_nothing_until_forced(
    briefing, monkeypatch, django_capture_on_commit_callbacks
):
    make_interest(sectors=["automotive"])
    Cluster.objects.filter(acronym="CLAUGTO").update(description="Curated.", is_curated=True)
    enqueued = capture_enqueues(monkeypatch)
    _load(django_capture_on_commit_callbacks)
    assert enqueued == []
    _load(django_capture_on_commit_callbacks, "--force")
    assert [name for name, _args in enqueued] == ["matchmaking.tasks.match_for_cluster"]


def test_a_reload_changing_ecosystems_rematches_the_sectors_sharing_them(
    briefing, monkeypatch, django_capture_on_commit_callbacks
):
    logistics = make_interest(sectors=["logistics"])  # automotive's ecosystem partner
    make_interest(sectors=["textile"])
    Sector.ecosystems.through.objects.filter(sector__slug="automotive").delete()
    enqueued = capture_enqueues(monkeypatch)
    _load(django_capture_on_commit_callbacks)  # puts automotive back in its ecosystem
    assert enqueued == [("matchmaking.tasks.match_interest", (logistics.pk,))]
