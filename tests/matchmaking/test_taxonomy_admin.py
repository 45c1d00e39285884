"""Deleting taxonomy in the admin: never under a user's interest or a profile, and a deleted
ecosystem re-matches the interests whose related sectors it changes."""

import pytest
from django.urls import reverse

from clusters.models import Ecosystem, Sector, State
from matchmaking.models import Interest, MatchRun
from tests.factories import (
    capture_enqueues,
    make_cluster,
    make_interest,
    make_sector,
    make_state,
)

pytestmark = pytest.mark.django_db


def delete(client, obj, how: str):
    """Confirm the deletion of ``obj`` from its delete page or with the bulk action."""
    meta = obj._meta
    if how == "delete page":
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_delete", args=[obj.pk])
        return client.post(url, {"post": "yes"})
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    return client.post(
        url, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
    )


@pytest.mark.parametrize("how", ["delete page", "bulk action"])
def test_a_sector_chosen_by_an_interest_or_in_a_profile_is_not_deleted(admin_client, how):
    chosen = make_sector("aerospace")
    interest = make_interest(sectors=["aerospace"])
    profiled = make_sector("textile")
    make_cluster(sectors=["textile"])

    response = delete(admin_client, chosen, how)
    assert response.status_code == 200
    assert "Aerospace: chosen by 1 interest" in response.text
    response = delete(admin_client, profiled, how)
    assert "Textile: in 1 cluster profile" in response.text

    assert Sector.objects.filter(pk__in=[chosen.pk, profiled.pk]).count() == 2
    assert list(interest.sectors.values_list("slug", flat=True)) == ["aerospace"]


@pytest.mark.parametrize("how", ["delete page", "bulk action"])
def test_a_state_an_interest_targets_or_a_stronghold_names_is_not_deleted(admin_client, how):
    targeted = make_state("MX-JAL", "Jalisco")
    interest = make_interest(states=["MX-JAL"])
    strong = make_state("MX-NLE", "Nuevo León")
    make_sector("aerospace").strongholds.create(state=strong, position=1, source="Table 2")

    response = delete(admin_client, targeted, how)
    assert response.status_code == 200
    assert "Jalisco: chosen by 1 interest" in response.text
    response = delete(admin_client, strong, how)
    assert "Nuevo León: a stronghold of 1 sector (Table 2)" in response.text

    assert State.objects.filter(pk__in=[targeted.pk, strong.pk]).count() == 2
    assert list(interest.states.values_list("code", flat=True)) == ["MX-JAL"]


@pytest.mark.parametrize("how", ["delete page", "bulk action"])
def test_an_unused_sector_is_deleted(admin_client, how):
    unused = make_sector("aerospace")
    make_interest(sectors=["textile"])

    response = delete(admin_client, unused, how)

    assert response.status_code == 302
    assert not Sector.objects.filter(pk=unused.pk).exists()


@pytest.mark.parametrize("how", ["delete page", "bulk action"])
def test_deleting_an_ecosystem_rematches_the_interests_of_its_sectors(
    admin_client, how, monkeypatch, django_capture_on_commit_callbacks
):
    mobility = Ecosystem.objects.create(slug="mobility", name="Mobility")
    make_sector("automotive").ecosystems.add(mobility)
    make_sector("aerospace").ecosystems.add(mobility)
    automotive = make_interest(sectors=["automotive"])
    aerospace = make_interest(sectors=["aerospace"])
    make_interest(sectors=["textile"])  # in no ecosystem of it: not touched
    enqueued = capture_enqueues(monkeypatch)

    with django_capture_on_commit_callbacks(execute=True):
        response = delete(admin_client, mobility, how)

    assert response.status_code == 302
    assert not Ecosystem.objects.filter(pk=mobility.pk).exists()
    ids = [automotive.pk, aerospace.pk]
    assert enqueued == [("matchmaking.tasks.match_interests", (ids, MatchRun.Trigger.CLUSTER))]
    assert [i.pk for i in Interest.objects.order_by("pk") if i.is_computing] == ids
