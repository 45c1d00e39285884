"""Nobody reaches another organisation's objects: every URL with a pk answers 404 (never 403,
which would confirm the object exists), changes nothing, and anonymous users log in first."""

import pytest
from django.urls import URLPattern, reverse

from matchmaking import urls as matchmaking_urls
from matchmaking.models import Interest, Introduction, Suggestion
from tests.factories import (
    make_cluster,
    make_interest,
    make_introduction,
    make_manager,
    make_organisation,
    make_suggestion,
)

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
    ("introductions", "get"),
    ("organisation_profile", "get"),
    ("organisation_profile", "post"),
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


# Introductions: reached only by the organisation or a manager of the cluster.
INTRODUCTION_OWNED = [
    ("introduction_detail", "get", None),
    ("introduction_accept", "post", {}),
    ("introduction_decline", "post", {"reason": "no"}),
    ("introduction_spam", "post", {}),
    ("introduction_outcome", "post", {"outcome": "met"}),
]
# A manager's view of an organisation: the cluster must be theirs, the organisation visible
# and interested in it.
MANAGED_OWNED = [
    ("introduce_organisation", "get", None),
    ("introduce_organisation", "post", {"message": "Hello", "kinds": ["technology"]}),
]


# Every owned URL name this module tests (tests/reliability/test_security.py reads it); a
# manager's cluster page takes a slug, no pk: test_a_cluster_not_managed_has_no_organisations_page.
OWNED_NAMES = {name for name, _m, _d in OWNED + INTRODUCTION_OWNED + MANAGED_OWNED} | {
    "cluster_organisations"
}


def test_every_url_with_a_pk_is_covered():
    """Adding a URL with a pk to matchmaking.urls fails here until it is added to OWNED
    (or to the introductions' lists)."""
    covered = OWNED + INTRODUCTION_OWNED + MANAGED_OWNED
    assert pk_patterns() == {name for name, _method, _data in covered}


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


# --- Introductions -------------------------------------------------------------------------


@pytest.fixture
def their_introduction():
    """Organisation B's open request to cluster C, which manager M manages."""
    cluster = make_cluster(name="Their cluster")
    make_manager(cluster)
    return make_introduction(make_organisation(name="B"), cluster)


def _someone_else():
    """User A: an organisation of their own and a manager of another cluster."""
    user = make_organisation().user
    make_manager(make_cluster(), user=user)
    return user


def _call(client, name, method, data, args):
    url = reverse(f"matchmaking:{name}", args=args)
    return getattr(client, method)(url, data) if method == "post" else client.get(url)


@pytest.mark.parametrize(("name", "method", "data"), INTRODUCTION_OWNED)
def test_another_partys_introduction_is_404(client, their_introduction, name, method, data):
    client.force_login(_someone_else())
    response = _call(client, name, method, data, [their_introduction.pk])
    assert response.status_code == 404
    unchanged = Introduction.objects.get(pk=their_introduction.pk)
    assert (unchanged.status, unchanged.outcome, unchanged.reported_spam_at) == (
        "requested",
        "",
        None,
    )


@pytest.mark.parametrize(("name", "method", "data"), INTRODUCTION_OWNED)
def test_missing_introductions_are_404(client, name, method, data):
    client.force_login(_someone_else())
    assert _call(client, name, method, data, [987654321]).status_code == 404


@pytest.mark.parametrize(("name", "method", "data"), INTRODUCTION_OWNED + MANAGED_OWNED)
def test_anonymous_users_log_in_for_introductions(client, their_introduction, name, method, data):
    args = [their_introduction.pk]
    if name == "introduce_organisation":
        args = [their_introduction.cluster.slug, their_introduction.organisation_id]
    response = _call(client, name, method, data, args)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(("name", "method", "data"), MANAGED_OWNED)
def test_a_cluster_not_managed_or_an_organisation_not_visible_is_404(
    client, their_introduction, name, method, data
):
    """A visible organisation interested in C: a manager of another cluster gets a 404 for
    C, and C's manager gets a 404 for an organisation that is not visible."""
    cluster = their_introduction.cluster
    visible = make_organisation(visible_to_clusters=True)
    make_suggestion(make_interest(visible), cluster)
    hidden = make_organisation()
    make_suggestion(make_interest(hidden), cluster)
    client.force_login(_someone_else())
    assert _call(client, name, method, data, [cluster.slug, visible.pk]).status_code == 404
    client.force_login(cluster.claims.get().user)
    assert _call(client, name, method, data, [cluster.slug, hidden.pk]).status_code == 404
    assert Introduction.objects.filter(organisation__in=[visible, hidden]).count() == 0


def test_a_cluster_not_managed_has_no_organisations_page(client, their_introduction):
    client.force_login(_someone_else())
    url = reverse("matchmaking:cluster_organisations", args=[their_introduction.cluster.slug])
    assert client.get(url).status_code == 404


def test_the_introductions_page_lists_only_the_users_own(client, their_introduction):
    mine = make_introduction(make_organisation(name="A-org"), make_cluster(name="Mine"))
    client.force_login(mine.organisation.user)
    text = client.get(reverse("matchmaking:introductions")).text
    assert "Mine" in text
    assert "Their cluster" not in text


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
