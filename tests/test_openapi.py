"""The API's OpenAPI 3 schema (/api/schema/, generated from the views), its docs page, the
redirects from the paths before versions, and schemathesis against the schema: every
operation, a bounded number of generated requests each, no 5xx, every answer as the schema
says (status code, content type, body)."""

import pytest
import schemathesis
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from matchmaking.matching import suggest
from matchmaking.models import Suggestion
from tests.factories import make_interest, make_organisation

SCHEMA = "/api/schema/"
OPERATIONS = {
    "/api/v1/",
    "/api/v1/clusters/",
    "/api/v1/clusters/{slug}/",
    "/api/v1/sectors/",
    "/api/v1/states/",
    "/api/v1/match-preview/",
    "/api/v1/me/suggestions/",
    "/api/v1/me/computing/",
}


def test_the_schema_is_openapi_3_and_lists_every_endpoint(client, db):
    response = client.get(SCHEMA)
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == OPERATIONS
    assert all(set(methods) == {"get"} for methods in schema["paths"].values())


def test_the_cluster_list_is_described_with_the_directory_filters_and_pages(client, db):
    operation = client.get(SCHEMA).json()["paths"]["/api/v1/clusters/"]["get"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    assert set(parameters) == {"q", "sector", "state", "label", "formally_organised", "page"}
    assert parameters["label"]["schema"]["enum"] == ["any", "valid"]
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    components = client.get(SCHEMA).json()["components"]["schemas"]
    described = components[page.rsplit("/", 1)[-1]]
    assert set(described["properties"]) == {"count", "next", "previous", "results"}
    error = operation["responses"]["400"]["content"]["application/json"]["schema"]["$ref"]
    assert set(components[error.rsplit("/", 1)[-1]]["properties"]) == {"error", "fields"}


def test_the_docs_page_uses_only_the_sites_own_files(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<style" not in html
    assert "<script>" not in html  # the page's script is a file too (the split view)
    sources = [part.split('"', 1)[0] for part in html.split('src="')[1:]]
    sources += [part.split('"', 1)[0] for part in html.split('href="')[1:]]
    assert sources and all(source.startswith("/") for source in sources)
    for source in sources:
        if source.startswith(settings.STATIC_URL):  # collected by collectstatic
            assert finders.find(source.removeprefix(settings.STATIC_URL)), source
        else:
            assert client.get(source).status_code == 200, source
    assert any("swagger-ui-bundle.js" in source for source in sources)
    assert "default-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/api/", "/api/v1/"),
        ("/api/clusters/?sector=ict&page=2", "/api/v1/clusters/?sector=ict&page=2"),
        ("/api/clusters/claut/", "/api/v1/clusters/claut/"),
        ("/api/sectors/", "/api/v1/sectors/"),
        ("/api/states/", "/api/v1/states/"),
        ("/api/me/suggestions/", "/api/v1/me/suggestions/"),
        (
            "/api/match-preview/?sectors=aerospace&states=MX-BCN",
            "/api/v1/match-preview/?sectors=aerospace&states=MX-BCN",
        ),
        ("/api/nope/%0Aa/?q=%C3%A9", "/api/v1/nope/%0Aa/?q=%C3%A9"),
    ],
)
def test_the_paths_before_versions_redirect_keeping_the_query(client, db, old, new):
    response = client.get(old)
    assert response.status_code == 301
    assert response["Location"] == new


def test_a_redirected_list_answers_as_the_new_path(client, briefing):
    response = client.get("/api/clusters/", {"sector": "aerospace"}, follow=True)
    assert response.redirect_chain == [("/api/v1/clusters/?sector=aerospace", 301)]
    assert response.json() == client.get("/api/v1/clusters/?sector=aerospace").json()
    assert response.json()["count"] > 0


# --- Schemathesis --------------------------------------------------------------------------


# Read from the site as it serves it (the view needs no database), at collection.
schema = schemathesis.openapi.from_wsgi(SCHEMA, get_wsgi_application())


@pytest.fixture
def same_connection():
    """Requests through the WSGI application run in this test's transaction: like Django's
    test client, they must not close the connection at the end of each request."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def session_cookie(briefing):
    """A logged-in organisation with suggestions, so /me/ answers with everything in it."""
    organisation = make_organisation()
    interest = make_interest(organisation, sectors=["aerospace"], states=["MX-QUE"])
    suggest.rescore_interest(interest.pk)
    assert Suggestion.objects.filter(interest=interest).exists()
    client = Client()
    client.force_login(organisation.user)
    return f"sessionid={client.cookies['sessionid'].value}"


@pytest.mark.fuzz
@schema.parametrize()
@hypothesis_settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_answers_as_its_schema_says(case, same_connection, session_cookie):
    for cookie in ("", session_cookie):  # /me/ logged out (403) and in
        case.call_and_validate(
            headers={"Cookie": cookie} if cookie else None,
            checks=[
                not_a_server_error,
                status_code_conformance,
                content_type_conformance,
                response_schema_conformance,
            ],
        )
