"""Merging two records of the same cluster keeps every name, label, sector and suggestion."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from clusters.merge import MergeError, merge_clusters
from clusters.models import Cluster, ClusterName, QualityLabel, Sector, State
from matchmaking.models import Suggestion
from tests.factories import make_interest

CLAUT = "cluster-automotriz-de-nuevo-leon"


def make_duplicate(**fields) -> Cluster:
    """A second record of CLAUT, as a careless import might have made it."""
    defaults = {
        "slug": "claut-duplicate", "name": "Automotive Cluster of N.L.", "acronym": "CLAUT-NL",
        "members": 200, "companies": 310, "founded_year": 2007,
        "exports_usd_millions": Decimal("12.50"), "source": "Staff research, 2026",
        "last_verified": datetime.date(2026, 1, 10),
    }  # fmt: skip
    cluster = Cluster.objects.create(**(defaults | fields))
    cluster.sectors.set(Sector.objects.filter(slug__in=["automotive", "advanced-manufacturing"]))
    ClusterName.objects.create(cluster=cluster, name="Nuevo León Auto Cluster", source="dup")
    ClusterName.objects.create(cluster=cluster, name="Claut Monterrey", source="Website")
    QualityLabel.objects.create(cluster=cluster, level="gold", is_valid=True, source="ESCA 2026")
    QualityLabel.objects.create(cluster=cluster, level="bronze", is_valid=True, source="ESCA")
    return cluster


def suggest(interest, cluster, score, status="new") -> Suggestion:
    return Suggestion.objects.create(
        interest=interest, cluster=cluster, score=score, engine_version=1,
        computed_at=timezone.now(), status=status,
        status_changed_at=None if status == "new" else timezone.now(),
    )  # fmt: skip


def test_merge_keeps_every_name_label_sector_figure_and_suggestion(
    briefing, staff_user, changed_ids
):
    survivor, merged = Cluster.objects.get(slug=CLAUT), make_duplicate()
    only_merged, marked, higher, lower, both_marked = (
        make_interest(sectors=(), kinds=(), matched=False) for _ in range(5)
    )
    moved = suggest(only_merged, merged, 40)
    suggest(marked, survivor, 90)  # new: loses to the user's mark
    marked_row = suggest(marked, merged, 30, status="interested")
    suggest(higher, survivor, 20)
    higher_row = suggest(higher, merged, 70)
    lower_row = suggest(lower, survivor, 80)
    suggest(lower, merged, 10)
    suggest(both_marked, survivor, 60, status="interested")
    newer_mark = suggest(both_marked, merged, 50, status="not_relevant")  # marked later

    revision = merge_clusters(survivor_id=survivor.pk, merged_id=merged.pk, user=staff_user)

    assert not Cluster.objects.filter(pk=merged.pk).exists()
    survivor.refresh_from_db()
    assert survivor.all_names() == [
        "Cluster Automotriz de Nuevo León", "Automotive Cluster of N.L.",
        "Automotive Cluster of Nuevo León", "CLAUT-NL", "Claut Monterrey",
        "Nuevo León Auto Cluster"]  # fmt: skip
    assert survivor.other_names.get(name="Automotive Cluster of N.L.").source == merged.source
    assert sorted(survivor.sectors.values_list("slug", flat=True)) == [
        "advanced-manufacturing", "automotive"]  # fmt: skip
    labels = {label.level: label for label in survivor.labels.all()}
    assert sorted(labels) == ["bronze", "gold"]
    assert labels["gold"].is_valid and labels["gold"].source == "ESCA 2026"  # valid beats lapsed
    # Survivor's own values stay; the figures it lacked come from the other record.
    assert (survivor.members, survivor.acronym) == (92, "CLAUT")
    assert (survivor.companies, survivor.founded_year) == (310, 2007)
    assert survivor.exports_usd_millions == Decimal("12.50")
    assert survivor.last_verified == datetime.date(2026, 1, 10)
    assert survivor.is_curated and "claut monterrey" in survivor.search_text
    # Suggestions: one row per interest, the user's mark and then the score decide.
    rows = {row.interest_id: row.pk for row in Suggestion.objects.filter(cluster=survivor)}
    assert rows == {
        only_merged.pk: moved.pk, marked.pk: marked_row.pk, higher.pk: higher_row.pk,
        lower.pk: lower_row.pk, both_marked.pk: newer_mark.pk}  # fmt: skip
    assert not Suggestion.objects.filter(cluster_id=merged.pk).exists()
    # One revision on the survivor, with the merged record kept in it.
    assert (revision.action, revision.user, revision.cluster_id) == (
        "merge",
        staff_user,
        survivor.pk,
    )
    assert revision.details["merged"]["slug"] == "claut-duplicate"
    assert revision.changes["companies"] == [None, 310]
    assert changed_ids == [survivor.pk]


def test_same_label_level_tie_keeps_the_more_recently_verified_record(briefing):
    survivor, merged = Cluster.objects.get(slug=CLAUT), make_duplicate()
    survivor.labels.update(is_valid=True, source="survivor's")
    Cluster.objects.filter(pk=survivor.pk).update(last_verified=datetime.date(2025, 1, 1))
    merge_clusters(survivor_id=survivor.pk, merged_id=merged.pk)
    assert survivor.labels.get(level="gold").source == "ESCA 2026"  # merged verified 2026

    other = make_duplicate(slug="again", name="Again", last_verified=datetime.date(2024, 1, 1))
    merge_clusters(survivor_id=survivor.pk, merged_id=other.pk)
    assert survivor.labels.get(level="gold").source == "ESCA 2026"  # survivor's is newer now


def test_a_failed_merge_changes_nothing(briefing):
    # The survivor has no state and would take the other's; a third cluster in that state
    # already has the survivor's name, so the merge is refused.
    survivor = Cluster.objects.get(slug="it-baja")
    merged = make_duplicate(state=State.objects.get(code="MX-NLE"))
    Cluster.objects.filter(slug="cluster-nanotecnologia-nuevo-leon").update(name="IT@Baja")
    interest = make_interest(sectors=(), kinds=(), matched=False)
    suggest(interest, merged, 50)

    with pytest.raises(MergeError, match="already exists in this state"):
        merge_clusters(survivor_id=survivor.pk, merged_id=merged.pk)

    assert Cluster.objects.filter(pk=merged.pk).exists()
    assert Suggestion.objects.get(interest=interest).cluster_id == merged.pk
    assert not survivor.other_names.exists() and not survivor.revisions.exists()


def test_admin_merge_of_two_records_through_the_confirmation_page(briefing, staff_client):
    forestal = Cluster.objects.get(slug="cluster-forestal-de-jalisco")
    centro = Cluster.objects.get(slug__startswith="centro-articulador")
    suggest(make_interest(sectors=(), kinds=(), matched=False), centro, 33)
    url = reverse("admin:clusters_cluster_changelist")

    response = staff_client.post(url, {"action": "merge_two",
                                       "_selected_action": [forestal.pk, centro.pk]})  # fmt: skip
    assert response.status_code == 302
    page = staff_client.get(response["Location"])
    assert "Which record survives?" in page.content.decode()
    assert "Suggestions: 1" in page.content.decode()

    # Their sectors differ (forestry, energy): the page says why and asks to confirm.
    assert "They share no sector: Energy and Forestry." in page.content.decode()
    choice = {"ids": f"{forestal.pk},{centro.pk}", "survivor": forestal.pk}
    refused = staff_client.post(response["Location"], choice)
    assert "confirm they are one cluster" in refused.content.decode()
    assert Cluster.objects.filter(pk=centro.pk).exists()
    response = staff_client.post(
        response["Location"], {**choice, "confirm_different": "1"}, follow=True
    )

    assert "was merged into" in response.content.decode()
    assert not Cluster.objects.filter(pk=centro.pk).exists()
    assert forestal.all_names() == [
        "Clúster forestal de Jalisco", "Centro Articulador del Sector Productivo Forestal de "
        "Jalisco A.C."]  # fmt: skip
    assert sorted(forestal.sectors.values_list("slug", flat=True)) == ["energy", "forestry"]
    assert list(forestal.labels.values_list("level", "is_valid")) == [("bronze", True)]
    assert Suggestion.objects.get().cluster_id == forestal.pk


@pytest.mark.parametrize("count", [1, 3])
def test_admin_merge_of_anything_but_two_is_refused(briefing, staff_client, count):
    ids = list(Cluster.objects.values_list("pk", flat=True)[:count])
    data = {"action": "merge_two", "_selected_action": ids}
    url = reverse("admin:clusters_cluster_changelist")
    response = staff_client.post(url, data, follow=True)
    assert "Select exactly two clusters to merge" in response.content.decode()
    assert Cluster.objects.filter(pk__in=ids).count() == count


def test_merge_page_refuses_a_bad_selection(briefing, staff_client):
    url = reverse("admin:clusters_cluster_merge")
    for ids in ("", "1", "abc,def", "999999,999998"):
        response = staff_client.get(url, {"ids": ids}, follow=True)
        assert "Select exactly two clusters to merge" in response.content.decode()


def test_merge_with_itself_is_refused(briefing):
    claut = Cluster.objects.get(slug=CLAUT)
    with pytest.raises(MergeError):
        merge_clusters(survivor_id=claut.pk, merged_id=claut.pk)
