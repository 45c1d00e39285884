"""The dashboard: ranked suggestions with reasons, in a constant number of queries."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from matchmaking.models import Suggestion
from tests.factories import (
    make_cluster,
    make_interest,
    make_introduction,
    make_organisation,
    make_state,
    make_suggestion,
    sector_exact_reason,
)

pytestmark = pytest.mark.django_db
URL = reverse("matchmaking:dashboard")


@pytest.fixture
def organisation(client):
    organisation = make_organisation(email_verified_at=timezone.now())
    client.force_login(organisation.user)
    return organisation


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={URL}"


def test_an_account_without_an_organisation_gets_an_explanation(client):
    client.force_login(get_user_model().objects.create_user("staff", is_staff=True))
    response = client.get(URL)
    assert response.status_code == 403
    assert "no organisation profile" in response.text


def test_without_interests_it_invites_to_state_one(client, organisation):
    response = client.get(URL)
    assert response.status_code == 200
    assert reverse("matchmaking:interest_new") in response.text
    assert "State your first interest" in response.text


def test_suggestions_ranked_with_reasons_and_links(client, organisation):
    interest = make_interest(organisation, title="Aero partners")
    state = make_state("MX-QUE", "Querétaro")
    low = make_suggestion(interest, make_cluster(name="Low cluster"), score=31)
    high = make_suggestion(
        interest,
        make_cluster(name="High cluster", state=state),
        score=88,
        reasons=[
            sector_exact_reason("aerospace"),
            {"code": "target_state", "params": {"state": "MX-QUE"}, "points": 20},
            {"code": "label", "params": {"level": "gold"}, "points": 8},
        ],
    )
    make_suggestion(interest, make_cluster(name="Dismissed cluster"), status="not_relevant")
    make_suggestion(interest, make_cluster(name="Hidden cluster", is_published=False))
    make_suggestion(interest, make_cluster(name="Dropped cluster"), is_current=False)
    kept = make_suggestion(
        interest, make_cluster(name="Kept cluster"), is_current=False, status="interested"
    )

    response = client.get(URL)

    assert response.status_code == 200
    shown = [item["suggestion"] for item in response.context["cards"][0].suggestions]
    assert shown == [high, kept, low]  # by score: 88, 50, 31
    text = response.text
    assert text.index("High cluster") < text.index("Low cluster")
    for name in ("Dismissed cluster", "Hidden cluster", "Dropped cluster"):
        assert name not in text
    assert high.cluster.get_absolute_url() in text
    assert "88/100" in text
    assert "Same sector: Aerospace" in text
    assert "In your target state Querétaro" in text
    assert "Holds an ESCA Gold label, valid at the briefing&#x27;s date (Dec 2016)" in text
    assert "Aero partners" in text


def test_malformed_stored_reasons_do_not_break_the_page(client, organisation):
    make_suggestion(
        make_interest(organisation),
        reasons=[{"code": "sector_exact"}, "junk", None, sector_exact_reason("aerospace")],
    )
    response = client.get(URL)
    assert response.status_code == 200
    assert "Same sector: Aerospace" in response.text


def test_a_constant_number_of_queries(client, organisation, django_assert_num_queries):
    """However many interests and suggestions, the dashboard runs the same queries:
    1. the session, 2. the user, 3. the organisation,
    4. the interests, 5. their sectors, 6. their states,
    7. their visible suggestions with cluster and the cluster's state,
    8. the organisation's introductions (each card's status),
    9. sector names and 10. state names for the reasons (once per request),
    11. whether the user manages a cluster (the navigation's "My clusters"),
    12. the navigation's count of introductions waiting for an answer,
    13. the clusters marked interested that staff have since unpublished."""
    first = make_interest(organisation, states=[make_state()])
    make_suggestion(first)
    with django_assert_num_queries(13):
        assert client.get(URL).status_code == 200

    for _ in range(3):
        interest = make_interest(
            organisation, sectors=["aerospace", "automotive"], states=[make_state()]
        )
        for _ in range(4):
            make_suggestion(interest, make_cluster(state=make_state()))
            make_introduction(organisation, make_cluster())
    with django_assert_num_queries(13):
        response = client.get(URL)
    assert len(response.context["cards"]) == 4
    assert sum(len(card.suggestions) for card in response.context["cards"]) == 13


def test_computing_state_while_an_interest_is_being_scored(client, organisation):
    make_interest(organisation, matched=False)
    response = client.get(URL)
    assert response.context["computing"]
    assert "Computing suggestions" in response.text
    assert "matchmaking/poll.js" in response.text
    assert reverse("matchmaking:api_my_computing") in response.text


def test_the_poll_asks_which_interests_are_computing_in_one_query(
    client, organisation, django_assert_num_queries
):
    computing = make_interest(organisation, matched=False)
    make_interest(organisation)
    make_interest(organisation, matched=False, is_active=False)
    with django_assert_num_queries(3):
        # 1. the session; 2. the user; 3. the interests still computing
        response = client.get(reverse("matchmaking:api_my_computing"))
    assert response.json() == {"computing": [computing.pk]}


def test_no_computing_state_once_scored_or_paused(client, organisation):
    make_interest(organisation)
    make_interest(organisation, matched=False, is_active=False)
    response = client.get(URL)
    assert not response.context["computing"]
    assert "poll.js" not in response.text
    assert "Paused" in response.text


def test_unverified_email_banner(client):
    organisation = make_organisation()
    client.force_login(organisation.user)
    response = client.get(URL)
    assert "Please verify your email address" in response.text
    assert reverse("matchmaking:resend_verification") in response.text


def test_no_banner_once_verified(client, organisation):
    assert "Please verify your email address" not in client.get(URL).text


def test_only_the_users_own_interests(client, organisation):
    other = make_interest(title="Someone else's interest")
    make_suggestion(other, make_cluster(name="Their cluster"))
    make_interest(organisation, title="Mine")
    response = client.get(URL)
    assert "Mine" in response.text
    assert "Someone else" not in response.text
    assert "Their cluster" not in response.text


def test_marked_interested_shows_an_undo(client, organisation):
    suggestion = make_suggestion(make_interest(organisation), status=Suggestion.Status.INTERESTED)
    text = client.get(URL).text
    assert "You are interested" in text
    assert 'value="new"' in text
    assert reverse("matchmaking:mark_suggestion", args=[suggestion.pk]) in text


def test_an_interested_cluster_that_staff_unpublish_leaves_a_notice(client, organisation):
    interest = make_interest(organisation, title="Aero partners")
    gone = make_suggestion(
        interest, make_cluster(name="Gone cluster"), status=Suggestion.Status.INTERESTED
    )
    make_suggestion(interest, make_cluster(name="Still here"))
    assert "No longer in the directory" not in client.get(URL).text
    gone.cluster.is_published = False
    gone.cluster.save()
    text = client.get(URL).text
    assert "No longer in the directory" in text
    assert "“Gone cluster”, which you marked interested for “Aero partners”" in text
    assert "Still here" in text
    # Another organisation's marks say nothing here.
    other = make_suggestion(cluster=make_cluster(is_published=False))
    other.status = Suggestion.Status.INTERESTED
    other.save()
    assert text.count("which you marked interested") == 1


def test_an_interested_cluster_merged_by_staff_says_under_which_name(client, organisation):
    from clusters.merge import merge_clusters

    interest = make_interest(organisation)
    merged = make_cluster(name="Old record")
    survivor = make_cluster(name="Surviving record")
    make_suggestion(interest, merged, status=Suggestion.Status.INTERESTED)
    merge_clusters(survivor_id=survivor.pk, merged_id=merged.pk)
    text = client.get(URL).text
    assert "Surviving record" in text
    assert (
        "You marked it as “Old record”: the programme staff merged that record into this one"
        in text
    )
