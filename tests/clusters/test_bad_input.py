"""Bad input on the directory page and the API: a readable 400 or a 404, never a 500.

Decision (documented in clusters/filters.py ``run_directory_query``): a malformed page number
(``abc``, ``0``, ``-1``) is a 400 like any malformed filter; a well-formed page number past the
last page is a 404, Django's convention, with the same readable message.
"""

import pytest
from django.urls import reverse

from clusters.filters import SEARCH_MAX_LENGTH
from tests.factories import make_cluster, make_sector, make_state

PAGE = "clusters:cluster_list"
API = "clusters:api_cluster_list"


@pytest.fixture(autouse=True)
def directory(db, settings):
    settings.DIRECTORY_PAGE_SIZE = 25
    settings.API_PAGE_SIZE = 50
    make_cluster(name="Cluster Automotriz", state=make_state(), sectors=[make_sector()])


BAD_PARAMS = [
    ({"state": "XX"}, "state", "Unknown state “XX”"),
    ({"state": "mx-nle"}, "state", "Unknown state “mx-nle”"),
    ({"state": "MX-XXX"}, "state", "Unknown state"),
    ({"state": "x" * 5000}, "state", "Unknown state"),
    ({"sector": "nope"}, "sector", "Unknown sector “nope”"),
    ({"sector": "Automotive"}, "sector", "Unknown sector"),
    ({"label": "maybe"}, "label", "Unknown label filter “maybe”"),
    ({"label": "VALID"}, "label", "Unknown label filter"),
    ({"formally_organised": "perhaps"}, "formally_organised", "must be “true” or “false”"),
    ({"formally_organised": "1"}, "formally_organised", "must be “true” or “false”"),
    ({"q": "a" * (SEARCH_MAX_LENGTH + 1)}, "q", "at most 200 characters"),
    ({"q": "claut\x00"}, "q", "Null characters are not allowed"),
    ({"state": "MX-NLE\x00"}, "state", "Null characters are not allowed"),
    ({"sector": "\x00"}, "sector", "Null characters are not allowed"),
    ({"page": "abc"}, "page", "The page number must be a whole number, 1 or more."),
    ({"page": "0"}, "page", "The page number must be a whole number, 1 or more."),
    ({"page": "-1"}, "page", "The page number must be a whole number, 1 or more."),
    ({"page": "1.5"}, "page", "The page number must be a whole number, 1 or more."),
    ({"page": "1e3"}, "page", "The page number must be a whole number, 1 or more."),
    ({"page": "2; DROP TABLE"}, "page", "The page number must be a whole number, 1 or more."),
]
BAD_IDS = [f"{next(iter(params))}-{i}" for i, (params, _, _) in enumerate(BAD_PARAMS)]


@pytest.mark.parametrize(("params", "field", "message"), BAD_PARAMS, ids=BAD_IDS)
def test_page_answers_400_with_the_form_errors(client, params, field, message):
    response = client.get(reverse(PAGE), params)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Some filters could not be used" in html
    assert message in html
    assert response.context["errors"][field]
    assert response.context["page_obj"] is None  # no results shown under an error
    if field != "page":
        assert 'aria-invalid="true"' in html  # the field itself is marked


@pytest.mark.parametrize(("params", "field", "message"), BAD_PARAMS, ids=BAD_IDS)
def test_api_answers_400_with_json_errors(client, params, field, message):
    response = client.get(reverse(API), params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error", "fields"}
    assert body["error"].startswith("Invalid query parameters.")
    assert message in body["error"]
    assert list(body["fields"]) == [field]
    assert any(message in text for text in body["fields"][field])


def test_several_bad_parameters_are_all_reported(client):
    params = {
        "state": "XX",
        "sector": "nope",
        "label": "maybe",
        "formally_organised": "perhaps",
        "page": "abc",
    }
    body = client.get(reverse(API), params).json()
    assert set(body["fields"]) == set(params)
    html = client.get(reverse(PAGE), params).content.decode()
    for text in [
        "Unknown state",
        "Unknown sector",
        "Unknown label filter",
        "must be “true” or “false”",
        "The page number must be",
    ]:
        assert text in html


def test_search_of_exactly_the_maximum_length_is_fine(client):
    q = "a" * SEARCH_MAX_LENGTH
    assert client.get(reverse(PAGE), {"q": q}).status_code == 200
    assert client.get(reverse(API), {"q": q}).status_code == 200


@pytest.mark.parametrize("page", ["2", "99999", "9" * 40])
def test_page_past_the_end_is_404(client, page):
    response = client.get(reverse(PAGE), {"page": page})
    assert response.status_code == 404
    assert "No such page" in response.content.decode()
    assert "there is 1 page" in response.content.decode()
    api = client.get(reverse(API), {"page": page})
    assert api.status_code == 404
    assert api.json()["error"] == f"Page {page} does not exist: there is 1 page."


def test_first_page_of_no_results_is_200(client):
    assert client.get(reverse(PAGE), {"q": "zzz", "page": "1"}).status_code == 200
    body = client.get(reverse(API), {"q": "zzz", "page": "1"}).json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}


@pytest.mark.parametrize(
    "url",
    [
        "/clusters/no-such-cluster/",
        "/states/XX/",
        "/states/mx-nle/",
        "/states/MX-XXX/",
        "/sectors/no-such-sector/",
        "/clusters/caf%C3%A9/",  # not a slug: no URL pattern matches
    ],
)
def test_unknown_pages_are_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.parametrize(
    "url", ["/api/v1/clusters/no-such-cluster/", "/api/v1/nope/", "/api/v1/clusters/a/b/"]
)
def test_unknown_api_paths_are_json_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"error"}


WEIRD = [
    {"q": "%"},
    {"q": "_"},
    {"q": "\\"},
    {"q": "' OR 1=1 --"},
    {"q": "<script>alert(1)</script>"},
    {"q": "\u0301"},  # a lone combining accent folds to nothing
    {"q": "🇲🇽"},
    {"state": "MX-NLE", "sector": "automotive", "page": "1"},
    {"state": ["XX", "MX-NLE"]},  # repeated: the last one counts
    {"unknown": "ignored"},
    {"page": " 1 "},
    {"page": "1.0"},
]


@pytest.mark.parametrize("params", WEIRD)
def test_odd_input_never_fails(client, params):
    for name in (PAGE, API):
        response = client.get(reverse(name), params)
        assert response.status_code in (200, 400, 404)
    html = client.get(reverse(PAGE), params).content.decode()
    assert "<script>alert(1)</script>" not in html


@pytest.mark.parametrize("query", ["q=%FF%FE", "q=%ED%A0%80", "state=%C0%AF", "page=%FF"])
def test_undecodable_query_strings_never_fail(client, query):
    for name in (PAGE, API):
        assert client.get(f"{reverse(name)}?{query}").status_code in (200, 400)


def test_search_text_is_escaped_back_into_the_form(client):
    html = client.get(reverse(PAGE), {"q": '"><script>x</script>'}).content.decode()
    assert "<script>x</script>" not in html
    assert "&quot;&gt;&lt;script&gt;" in html
