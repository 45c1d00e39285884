"""Staff side of introductions (admin lists, filters, actions, the funnel page, the claim
rate) and the European organisation's editable profile and country list."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from matchmaking.countries import COUNTRY_CODES
from matchmaking.models import Organisation
from tests.factories import (
    make_cluster,
    make_introduction,
    make_manager,
    make_organisation,
)

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:matchmaking_introduction_changelist")
FUNNEL = reverse("matchmaking:introductions_funnel")


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("admin", "admin@example.eu", "pw")
    client.force_login(user)
    return user


def test_the_admin_list_filters_by_status_age_sector_country_cluster_and_staff_queue(client, staff):
    claimed = make_cluster(name="Claimed", sectors=("automotive",))
    make_manager(claimed)
    unclaimed = make_cluster(name="Unclaimed")
    old = make_introduction(
        make_organisation(country="FR"), claimed, created=timezone.now() - timedelta(days=20)
    )
    fresh = make_introduction(make_organisation(country="GB"), unclaimed)
    declined = make_introduction(make_organisation(), unclaimed, status="declined")

    def listed(query: str) -> set[int]:
        response = client.get(CHANGELIST + query)
        assert response.status_code == 200
        return {item.pk for item in response.context["cl"].result_list}

    assert listed("") == {old.pk, fresh.pk, declined.pk}
    assert listed("?status__exact=requested") == {old.pk, fresh.pk}
    assert listed("?age=older") == {old.pk}
    assert listed("?age=week") == {fresh.pk, declined.pk}
    assert listed(f"?cluster__sectors__id__exact={claimed.sectors.get().pk}") == {old.pk}
    assert listed("?organisation__country__exact=GB") == {fresh.pk}
    assert listed(f"?cluster__id__exact={unclaimed.pk}") == {fresh.pk, declined.pk}
    assert listed("?queue=staff") == {fresh.pk}


def test_admin_actions_nudge_close_introduce_by_hand_and_invite_to_claim(client, staff):
    cluster = make_cluster()
    manager = make_manager(cluster)
    nudged = make_introduction(make_organisation(), cluster)
    closed = make_introduction(make_organisation(), cluster)
    by_hand = make_introduction(make_organisation(), make_cluster())
    answered = make_introduction(make_organisation(), cluster, status="declined")

    def act(action, *introductions):
        data = {"action": action, "_selected_action": [i.pk for i in introductions]}
        assert client.post(CHANGELIST, data).status_code == 302

    act("nudge", nudged, answered)
    assert [email.to for email in mail.outbox] == [[manager.work_email]]
    act("close", closed, answered)
    act("introduce_by_hand", by_hand)
    act("invite_to_claim", by_hand)
    nudged.refresh_from_db()
    closed.refresh_from_db()
    by_hand.refresh_from_db()
    answered.refresh_from_db()
    assert nudged.nudged_at is not None
    assert closed.status == "closed"
    assert answered.status == "declined"  # only open requests are closed
    assert (by_hand.status, by_hand.by_staff, by_hand.answered_by) == ("accepted", True, staff)
    assert by_hand.invited_to_claim_at is None  # no longer open


def test_staff_record_an_outcome_only_after_acceptance(client, staff):
    accepted = make_introduction(status="accepted")
    waiting = make_introduction()
    for introduction, expected in ((accepted, "met"), (waiting, "")):
        url = reverse("admin:matchmaking_introduction_change", args=[introduction.pk])
        client.post(url, {"outcome": "met", "staff_note": "called both"})
        introduction.refresh_from_db()
        assert introduction.outcome == expected
        assert introduction.staff_note == "called both"


def test_the_funnel_by_month_and_sector_and_the_claim_rate(client, staff):
    aero = make_cluster(sectors=("aerospace",))
    auto = make_cluster(sectors=("automotive",))
    make_cluster(sectors=("automotive",), is_published=False)
    make_manager(aero)
    make_introduction(cluster=aero, status="accepted", outcome="met")
    make_introduction(cluster=aero, status="accepted")
    make_introduction(cluster=auto)

    response = client.get(FUNNEL)

    assert response.status_code == 200
    [month] = response.context["by_month"]
    assert (month["requested"], month["accepted"], month["met"]) == (3, 2, 1)
    by_sector = {row["sector"].slug: row for row in response.context["by_sector"]}
    assert (by_sector["aerospace"]["requested"], by_sector["aerospace"]["met"]) == (2, 1)
    assert by_sector["automotive"]["requested"] == 1
    assert response.context["claims"] == {"total": 2, "claimed": 1, "percent": 50.0}
    assert response.context["queue"] == 1
    assert '<svg class="funnel-bars"' in response.text  # the chart, server-rendered
    assert "1 of 2 published clusters have a manager (50.0%)" in response.text


def test_the_funnel_is_for_staff_only(client):
    client.force_login(make_organisation().user)
    response = client.get(FUNNEL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


# --- The organisation's profile and its country list ---------------------------------------


def test_an_organisation_edits_its_profile_and_visibility(client):
    organisation = make_organisation()
    assert organisation.visible_to_clusters is False  # off by default
    client.force_login(organisation.user)
    url = reverse("matchmaking:organisation_profile")
    data = {
        "name": "Aerotech Ltd",
        "country": "GB",
        "website": "aerotech.example",
        "description": "Composites.",
        "contact_name": "Ada Byron",
        "phone": "+44 20 5550100",
        "visible_to_clusters": "on",
    }
    assert client.post(url, data).status_code == 302
    organisation.refresh_from_db()
    assert (organisation.name, organisation.country, organisation.website) == (
        "Aerotech Ltd",
        "GB",
        "https://aerotech.example",
    )
    assert (organisation.contact_name, organisation.phone) == ("Ada Byron", "+44 20 5550100")
    assert organisation.visible_to_clusters is True


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("name", "", "This field is required"),
        ("country", "US", "Select a valid choice"),
        ("website", "not a url at all", "Enter a valid URL"),
        ("phone", "1" * 41, "at most 40 characters"),
    ],
)
def test_bad_profile_input_shows_errors_and_changes_nothing(client, field, value, error):
    organisation = make_organisation(name="Before")
    client.force_login(organisation.user)
    data = {"name": "After", "country": "DE", "website": "", "description": "", field: value}
    response = client.post(reverse("matchmaking:organisation_profile"), data)
    assert response.status_code == 200
    assert error in response.text
    assert Organisation.objects.get(pk=organisation.pk).name == "Before"


def test_the_country_list_covers_the_eu_the_eea_the_uk_switzerland_and_associated_countries():
    assert len(COUNTRY_CODES) == len(set(COUNTRY_CODES))
    eu = {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
          "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}  # fmt: skip
    assert eu <= set(COUNTRY_CODES)
    assert {"IS", "LI", "NO", "GB", "CH"} <= set(COUNTRY_CODES)
    assert {"UA", "RS", "TR", "IL", "FO", "GE", "AL"} <= set(COUNTRY_CODES)
    assert "US" not in COUNTRY_CODES and "MX" not in COUNTRY_CODES
