"""JSON: the user's suggestions, and the match preview (API and page)."""

import re

import pytest
from django.urls import reverse

from matchmaking.matching import suggest
from matchmaking.models import Interest, Suggestion
from tests.factories import (
    make_cluster,
    make_interest,
    make_organisation,
    make_state,
    make_suggestion,
)

pytestmark = pytest.mark.django_db
MINE = reverse("matchmaking:api_my_suggestions")
PREVIEW = reverse("matchmaking:api_match_preview")
PAGE = reverse("matchmaking:match_preview")


@pytest.fixture
def organisation(client):
    organisation = make_organisation()
    client.force_login(organisation.user)
    return organisation


# --- /api/v1/me/suggestions/ --------------------------------------------------------------


def test_my_suggestions_needs_login_and_answers_json_not_a_redirect(client):
    response = client.get(MINE)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert "error" in response.json()


def test_my_suggestions_lists_interests_with_visible_suggestions(client, organisation):
    interest = make_interest(organisation, title="Aero", states=[make_state("MX-QUE", "Querétaro")])
    cluster = make_cluster(name="Clúster Aeroespacial", state=make_state("MX-QUE", "Querétaro"))
    suggestion = make_suggestion(interest, cluster, score=81, status="interested")
    make_suggestion(interest, make_cluster(name="Dismissed"), status="not_relevant")
    make_suggestion(make_interest(), make_cluster(name="Someone else's"))

    response = client.get(MINE)

    assert response.status_code == 200
    [item] = response.json()["interests"]
    assert item["id"] == interest.pk
    assert item["title"] == "Aero"
    assert item["active"] is True
    assert item["computing"] is False
    assert item["sectors"] == ["aerospace"]
    assert item["states"] == ["MX-QUE"]
    assert item["url"].endswith(interest.get_absolute_url())
    [shown] = item["suggestions"]
    assert shown["id"] == suggestion.pk
    assert shown["score"] == 81
    assert shown["status"] == "interested"
    assert shown["cluster"] == {
        "slug": cluster.slug,
        "name": "Clúster Aeroespacial",
        "url": "http://testserver" + cluster.get_absolute_url(),
        "state": {"code": "MX-QUE", "name": "Querétaro"},
    }
    assert shown["reasons"] == [
        {
            "code": "sector_exact",
            "params": {"sector": "aerospace"},
            "points": 40,
            "text": "Same sector: Aerospace",
        }
    ]
    assert "Clúster" in response.content.decode()  # not \u-escaped


def test_my_suggestions_is_read_only(client, organisation):
    response = client.post(MINE)
    assert response.status_code == 405
    assert response.json()["error"]


# --- /api/v1/match-preview/ ---------------------------------------------------------------


def test_preview_ranks_by_the_same_engine_and_stores_nothing(client, briefing):
    response = client.get(
        PREVIEW,
        {
            "sectors": ["aerospace"],
            "states": "MX-QUE",
            "kinds": "supply_chain",
            "description": "Turbine parts and plane interiors",
        },
    )

    assert response.status_code == 200
    data = response.json()
    results = data["results"]
    assert data["count"] == len(results) > 0
    scores = [result["score"] for result in results]
    assert scores == sorted(scores, reverse=True)
    best = results[0]
    assert set(best["cluster"]) == {"slug", "name", "url", "state"}
    assert all(reason["text"] for reason in best["reasons"])
    assert sum(reason["points"] for reason in best["reasons"]) == best["score"]
    assert Interest.objects.count() == 0
    assert Suggestion.objects.count() == 0


def test_preview_agrees_with_stored_suggestions(client, briefing):
    interest = make_interest(
        sectors=["automotive", "aerospace"],
        states=["MX-NLE"],
        kinds=["technology"],
        description="Electric vehicles and R&D",
        matched=False,
    )
    suggest.rescore_interest(interest.pk)
    stored = list(
        interest.suggestions.order_by("-score", "cluster_id").values_list("cluster__slug", "score")
    )

    response = client.get(
        PREVIEW,
        {
            "sectors": "automotive,aerospace",
            "states": "MX-NLE",
            "kinds": "technology",
            "description": "Electric vehicles and R&D",
        },
    )

    previewed = [(r["cluster"]["slug"], r["score"]) for r in response.json()["results"]]
    assert previewed == stored


def test_comma_separated_and_repeated_parameters_are_the_same(client, briefing):
    repeated = client.get(PREVIEW + "?sectors=aerospace&sectors=automotive&kinds=skills")
    commas = client.get(PREVIEW + "?sectors=aerospace,%20automotive&kinds=skills,")
    assert repeated.status_code == commas.status_code == 200
    assert repeated.json() == commas.json()


def test_preview_limit(client, briefing):
    response = client.get(PREVIEW, {"sectors": "automotive", "limit": "2"})
    assert response.json()["count"] == 2


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "sectors"),
        ({"sectors": ""}, "sectors"),
        ({"sectors": "no-such-sector"}, "sectors"),
        ({"sectors": "aerospace,no-such-sector"}, "sectors"),
        ({"sectors": "aerospace", "states": "MX-XXX"}, "states"),
        ({"sectors": "aerospace", "states": "Querétaro"}, "states"),
        ({"sectors": "aerospace", "kinds": "espionage"}, "kinds"),
        ({"sectors": "aerospace", "description": "x" * 4001}, "description"),
        ({"sectors": "aerospace", "limit": "0"}, "limit"),
        ({"sectors": "aerospace", "limit": "51"}, "limit"),
        ({"sectors": "aerospace", "limit": "ten"}, "limit"),
        ({"sectors": "aerospace", "page": "2"}, "page"),
        ({"sectors": ",".join(["aerospace"] * 101)}, "sectors"),
    ],
)
def test_preview_bad_parameters_are_a_400_with_fields(client, briefing, query, field):
    response = client.get(PREVIEW, query)
    assert response.status_code == 400
    body = response.json()
    assert body["error"]
    assert field in body["fields"]
    assert all(isinstance(message, str) for message in body["fields"][field])


def test_preview_is_read_only(client, briefing):
    assert client.post(PREVIEW, {"sectors": "aerospace"}).status_code == 405


def test_preview_page_without_parameters_shows_the_form(client, briefing):
    response = client.get(PAGE)
    assert response.status_code == 200
    assert response.context["results"] is None
    assert 'name="sectors"' in response.text
    assert "<fieldset" in response.text


def test_preview_page_renders_results_server_side(client, briefing):
    response = client.get(PAGE, {"sectors": ["aerospace"], "states": ["MX-QUE"]})
    assert response.status_code == 200
    results = response.context["results"]
    assert results
    assert results[0].cluster.get_absolute_url() in response.text
    assert "Same sector: Aerospace" in response.text
    assert f"{results[0].score}/100" in response.text
    # Rendered on the server: the only script is the header menu's.
    assert re.findall(r"<script[^>]*>", response.text) == [
        '<script src="/static/clusters/menu.js" defer>'
    ]


def test_preview_page_with_bad_parameters_shows_errors(client, briefing):
    response = client.get(PAGE, {"sectors": "no-such-sector"})
    assert response.status_code == 400
    assert 'role="alert"' in response.text
    assert response.context["results"] is None


def test_preview_page_opens_at_its_results_and_leaves_developer_bits_to_the_api(client, briefing):
    response = client.get(PAGE, {"sectors": ["aerospace"], "states": ["MX-BCN"], "limit": "3"})
    assert f'action="{PAGE}#results"' in response.text
    assert 'id="results"' in response.text
    assert 'name="limit"' not in response.text  # "how many": the API's parameter
    assert PREVIEW not in response.text  # the JSON link: in the API docs
    assert len(response.context["results"]) == 3  # still honoured


def test_preview_offers_to_keep_its_choices(client, briefing, django_user_model):
    query = {
        "sectors": ["aerospace"],
        "states": ["MX-BCN"],
        "kinds": ["technology"],
        "description": "Turbine parts",
    }
    kept = "sectors=aerospace&states=MX-BCN&kinds=technology&description=Turbine+parts"
    response = client.get(PAGE, query)
    assert f'href="{reverse("matchmaking:signup")}?{kept}"' in response.text.replace("&amp;", "&")
    user = django_user_model.objects.create_user("u@example.eu", "u@example.eu", "pw-123-xyz!")
    client.force_login(user)
    response = client.get(PAGE, query)
    assert f'href="{reverse("matchmaking:interest_new")}?{kept}"' in response.text.replace(
        "&amp;", "&"
    )
