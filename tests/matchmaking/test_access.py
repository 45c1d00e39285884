"""Nobody reaches another organisation's objects: every URL with a pk answers 404 (never 403,
which would confirm the object exists), changes nothing, and anonymous users log in first."""

import pytest
from django.urls import URLPattern, reverse

from matchmaking import urls as matchmaking_urls
from matchmaking.models import Interest, Suggestion
from tests.matchmaking.factories import make_interest, make_organisation, make_suggestion

pytestmark = pytest.mark.django_db

# (URL name, HTTP method, POST data): every user-owned object URL in matchmaking.urls.
OWNED = [
    ("interest_detail", "get", None),
    ("interest_edit", "get", None),
    ("interest_edit", "post", {"title": "Hijacked", "kinds": ["skills"]}),
    ("interest_pause", "post", {}),
    ("interest_delete", "get", None),
    ("interest_delete", "post", {}),
    ("mark_suggestion", "post", {"status": "not_relevant"}),
]
SUGGESTION_URLS = {"mark_suggestion"}

# Pages that need a logged-in user, without a pk.
LOGIN_REQUIRED = [
    ("dashboard", "get"),
    ("interest_new", "get"),
    ("my_data", "get"),
    ("export_data", "get"),
    ("notifications", "post"),
    ("delete_account", "get"),
    ("resend_verification", "post"),
]


def pk_patterns() -> set[str]:
    return {
        pattern.name
        for pattern in matchmaking_urls.urlpatterns
        if isinstance(pattern, URLPattern) and "pk" in pattern.pattern.converters
    }


def test_every_url_with_a_pk_is_covered():
    """Adding a URL with a pk to matchmaking.urls fails here until it is added to OWNED."""
    assert pk_patterns() == {name for name, _method, _data in OWNED}


@pytest.fixture
def theirs():
    """User B's interest, with a suggestion."""
    suggestion = make_suggestion(make_interest(title="B's interest"))
    return suggestion


@pytest.mark.parametrize(("name", "method", "data"), OWNED)
def test_another_users_objects_are_404(client, theirs, name, method, data):
    client.force_login(make_organisation().user)  # user A, with an organisation
    pk = theirs.pk if name in SUGGESTION_URLS else theirs.interest_id
    url = reverse(f"matchmaking:{name}", args=[pk])

    response = getattr(client, method)(url, data) if method == "post" else client.get(url)

    assert response.status_code == 404
    interest = Interest.objects.get(pk=theirs.interest_id)
    assert interest.title == "B's interest"
    assert interest.is_active
    assert Suggestion.objects.get(pk=theirs.pk).status == Suggestion.Status.NEW


@pytest.mark.parametrize(("name", "method", "data"), OWNED)
def test_missing_objects_are_404(client, name, method, data):
    client.force_login(make_organisation().user)
    url = reverse(f"matchmaking:{name}", args=[987654321])
    response = getattr(client, method)(url, data) if method == "post" else client.get(url)
    assert response.status_code == 404


@pytest.mark.parametrize(("name", "method", "data"), OWNED)
def test_anonymous_users_are_sent_to_log_in_for_owned_urls(client, theirs, name, method, data):
    pk = theirs.pk if name in SUGGESTION_URLS else theirs.interest_id
    url = reverse(f"matchmaking:{name}", args=[pk])
    response = getattr(client, method)(url, data) if method == "post" else client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(("name", "method"), LOGIN_REQUIRED)
def test_anonymous_users_are_sent_to_log_in(client, name, method):
    response = getattr(client, method)(reverse(f"matchmaking:{name}"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_api_shows_only_the_users_own_suggestions(client, theirs):
    mine = make_suggestion(make_interest(make_organisation(), title="A's interest"))
    client.force_login(mine.interest.organisation.user)

    data = client.get(reverse("matchmaking:api_my_suggestions")).json()

    assert [item["id"] for item in data["interests"]] == [mine.interest_id]
    ids = [s["id"] for item in data["interests"] for s in item["suggestions"]]
    assert ids == [mine.pk]


def test_the_export_holds_only_the_users_own_data(client, theirs):
    organisation = make_organisation()
    make_interest(organisation, title="A's interest")
    client.force_login(organisation.user)
    content = client.get(reverse("matchmaking:export_data")).content.decode()
    assert "A's interest" in content
    assert "B's interest" not in content


def test_the_computing_poll_names_only_the_users_own_interests(client, theirs):
    mine = make_interest(make_organisation(), title="A's interest")
    theirs.interest.matched_at = None
    theirs.interest.save(update_fields=["matched_at"])
    mine.matched_at = None
    mine.save(update_fields=["matched_at"])
    client.force_login(mine.organisation.user)
    assert client.get(reverse("matchmaking:api_my_computing")).json() == {"computing": [mine.pk]}
    client.logout()
    assert client.get(reverse("matchmaking:api_my_computing")).status_code == 403
