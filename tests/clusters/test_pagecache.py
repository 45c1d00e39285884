"""The directory's page cache (clusters.pagecache): served again without its queries, never
stale after an edit, never sharing a visitor's CSRF token, log-in state or messages."""

import re

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import Client, RequestFactory
from django.urls import reverse

from clusters.models import Cluster, ClusterName, Sector, State
from tests.clusters.test_admin import change_form_data, change_url
from tests.factories import make_sector

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HOME = "/clusters/"

pytestmark = pytest.mark.postgresql(
    reason="the page cache keys on a version token kept by PostgreSQL triggers; "
    "on SQLite it caches nothing"
)


@pytest.fixture(autouse=True)
def _page_sizes(settings):
    settings.DIRECTORY_PAGE_SIZE = 25
    settings.API_PAGE_SIZE = 50


@pytest.fixture
def staff_client(django_user_model):
    staff = Client()
    user = django_user_model.objects.create_superuser("curator", "c@example.eu", "pw-123-x")
    staff.force_login(user)
    return staff


def page(client, url=HOME, **extra) -> str:
    response = client.get(url, **extra)
    assert response.status_code == 200
    return response.content.decode()


def without_csrf(html: str) -> str:
    return CSRF_INPUT.sub('name="csrfmiddlewaretoken" value="…"', html)


def cached_page(client, django_assert_num_queries, url=HOME) -> str:
    """``url`` requested twice: the second answer comes from the cache (one query)."""
    first = page(client, url)
    with django_assert_num_queries(1):  # the version token only
        second = page(client, url)
    assert without_csrf(second) == without_csrf(first)
    return second


# --- Served again --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        HOME,
        "/clusters/?sector=automotive",
        "/clusters/?state=MX-NLE&label=any",
        "/clusters/?q=nowhere",
    ],
)
def test_second_request_is_served_from_the_cache(
    client, small_directory, django_assert_num_queries, url
):
    cached_page(client, django_assert_num_queries, url)


def test_cached_page_is_the_page_rendered_without_cache(
    client, small_directory, settings, django_assert_num_queries
):
    url = "/clusters/?sector=automotive&page=1"
    cached = cached_page(client, django_assert_num_queries, url)
    settings.PAGE_CACHE_ENTRIES = 0
    assert without_csrf(page(Client(), url)) == without_csrf(cached)
    assert "Auto NL" in cached and "Aero QRO" not in cached


def test_without_the_cache_every_request_runs_the_queries(
    client, small_directory, settings, django_assert_num_queries
):
    settings.PAGE_CACHE_ENTRIES = 0
    page(client)
    with django_assert_num_queries(7):  # the directory's queries, no version token
        page(client)


def test_bad_parameters_and_missing_pages_keep_their_status_when_cached(client, small_directory):
    for _ in range(2):
        response = client.get(HOME, {"page": "two", "sector": "nope"})
        assert response.status_code == 400
        assert "Unknown sector" in response.content.decode()
        response = client.get(HOME, {"page": "9"})
        assert response.status_code == 404
        assert "Page 9 does not exist" in response.content.decode()


def test_api_list_is_served_from_the_cache_for_its_host(
    client, small_directory, django_assert_num_queries
):
    url = reverse("clusters:api_cluster_list")
    first = client.get(url, {"sector": "automotive"})
    with django_assert_num_queries(1):
        second = client.get(url, {"sector": "automotive"})
    assert second.json() == first.json()
    assert second["Content-Type"] == "application/json"
    assert [c["name"] for c in second.json()["results"]] == ["Auto NL", "Nowhere"]
    # Absolute URLs in the answer: another host is another entry.
    other = client.get(url, {"sector": "automotive"}, HTTP_HOST="localhost")
    assert other.json()["results"][0]["url"].startswith("http://localhost/")
    bad = client.get(url, {"state": "MX-XXX"})
    assert bad.status_code == 400 and "fields" in client.get(url, {"state": "MX-XXX"}).json()


# --- Never stale ---------------------------------------------------------------------------


def _edit_name(staff, cluster):
    staff.post(change_url(cluster), change_form_data(cluster, name="Renamed in the admin"))


def _edit_unpublish(staff, cluster):
    url = reverse("admin:clusters_cluster_changelist")
    staff.post(url, {"action": "unpublish", "_selected_action": [cluster.pk]})


def _edit_label(staff, cluster):
    # Aero QRO's valid bronze label marked lapsed.
    staff.post(change_url(cluster), change_form_data(cluster, **{"labels-0-is_valid": None}))


def _edit_sector(staff, cluster):
    auto = Sector.objects.get(slug="automotive")
    staff.post(change_url(cluster), change_form_data(cluster, sectors=[auto.pk]))


@pytest.mark.parametrize(
    ("edit", "url", "before", "after"),
    [
        (_edit_name, HOME, "Aero QRO", "Renamed in the admin"),
        (_edit_unpublish, HOME, "Aero QRO", None),
        (
            _edit_label,
            HOME,
            'badge-bronze">Bronze <span class="as-of">',
            "badge-bronze badge-lapsed",
        ),
        (_edit_sector, "/clusters/?sector=automotive", None, "Aero QRO"),
    ],
    ids=["name", "unpublish", "label", "sector"],
)
def test_an_admin_edit_shows_on_the_very_next_request(
    client, small_directory, staff_client, django_assert_num_queries, edit, url, before, after
):
    cluster = Cluster.objects.get(name="Aero QRO")
    old = cached_page(client, django_assert_num_queries, url)
    api_url = reverse("clusters:api_cluster_list") + url.removeprefix(HOME)
    old_api = client.get(api_url).content.decode()
    assert old_api == client.get(api_url).content.decode()
    edit(staff_client, cluster)
    new = page(client, url)
    new_api = client.get(api_url).content.decode()
    for text, html in ((before, old), (after, new)):
        if text is not None:
            assert text in html
    for text, html in ((before, new), (after, old)):
        if text is not None:
            assert text not in html
    assert new_api != old_api


def test_publishing_in_the_admin_shows_on_the_very_next_request(
    client, small_directory, staff_client, django_assert_num_queries
):
    assert "Hidden" not in cached_page(client, django_assert_num_queries)
    url = reverse("admin:clusters_cluster_changelist")
    hidden = Cluster.objects.get(name="Hidden")
    staff_client.post(url, {"action": "publish", "_selected_action": [hidden.pk]})
    assert "Hidden" in page(client)


@pytest.mark.parametrize(
    "edit",
    [
        lambda: State.objects.filter(code="MX-NLE").update(name="Nuevo León (renamed)"),
        lambda: Sector.objects.filter(slug="automotive").update(name_en="Automotive (renamed)"),
        lambda: make_sector("zz-new", "A new sector (renamed)", "Un sector nuevo"),
        lambda: ClusterName.objects.create(
            cluster=Cluster.objects.get(name="Auto NL"), name="Another name (renamed)"
        ),
    ],
    ids=["state", "sector", "new sector in the form", "other name"],
)
def test_any_write_to_what_the_page_shows_is_seen_next(
    client, small_directory, django_assert_num_queries, edit
):
    assert "(renamed)" not in cached_page(client, django_assert_num_queries)
    edit()
    assert "(renamed)" in page(client)


# --- Per visitor ----------------------------------------------------------------------------


def test_each_visitor_gets_their_own_working_csrf_token(client, small_directory):
    visitors = [Client(enforce_csrf_checks=True) for _ in range(2)]
    tokens = [CSRF_INPUT.findall(page(visitor)) for visitor in visitors]
    assert all(len(found) == 1 for found in tokens)
    assert visitors[0].cookies["csrftoken"].value != visitors[1].cookies["csrftoken"].value
    set_language = reverse("set_language")
    # The other visitor's token is refused; their own is accepted.
    stolen = visitors[0].post(set_language, {"language": "es", "csrfmiddlewaretoken": tokens[1]})
    assert stolen.status_code == 403
    for visitor, (token,) in zip(visitors, tokens, strict=True):
        answer = visitor.post(set_language, {"language": "es", "csrfmiddlewaretoken": token})
        assert answer.status_code == 302


def test_logged_in_nav_is_never_shared(client, small_directory, staff_client):
    anonymous = page(client)
    assert "Log in" in anonymous and "Log out" not in anonymous
    logged_in = page(staff_client)
    assert "Log out" in logged_in and "Log in" not in logged_in
    assert len(CSRF_INPUT.findall(logged_in)) == 2  # language form and log-out form
    again = page(Client())
    assert "Log in" in again and "Log out" not in again
    assert "Log out" in page(staff_client)


def test_logged_in_visitor_gets_the_cached_results(
    small_directory, staff_client, django_assert_num_queries
):
    page(staff_client)
    # Session, user, whether the user manages a cluster (the navigation's "My clusters"),
    # version token, the navigation's count of introductions waiting for the user's answer:
    # no directory query.
    with django_assert_num_queries(5):
        assert "Auto NL" in page(staff_client)


def test_a_visitors_message_is_shown_to_them_only(client, small_directory):
    assert "Hello, you" not in page(Client())  # the page cached for anonymous visitors
    request = RequestFactory().get(HOME)
    cookie = CookieStorage(request)._encode([Message(constants.SUCCESS, "Hello, you")])
    client.cookies["messages"] = cookie
    assert "Hello, you" in page(client)
    assert "Hello, you" not in page(client)  # shown once
    assert "Hello, you" not in page(Client())


def test_language_is_honoured(client, small_directory, django_assert_num_queries):
    english = cached_page(client, django_assert_num_queries, "/clusters/?sector=aerospace")
    assert "Mexican clusters" in english and ">Aerospace<" in english
    client.cookies["django_language"] = "es"
    spanish = page(client, "/clusters/?sector=aerospace")
    assert "Clústeres mexicanos" in spanish and ">Aeroespacial<" in spanish
    assert "Aerospace" not in spanish
    api = reverse("clusters:api_cluster_list")
    assert client.get(api, {"sector": "aerospace"}).json()["results"][0]["sectors"] == [
        {"slug": "aerospace", "name": "Aeroespacial"}
    ]
    assert "Mexican clusters" in page(Client(), "/clusters/?sector=aerospace")
    assert page(Client(HTTP_ACCEPT_LANGUAGE="es"), "/clusters/?sector=aerospace").count(
        "Aeroespacial"
    )
