"""Bad input never makes a server error: property-based fuzzing (hypothesis) of sign-up,
interests, the directory's filters, the match preview and every JSON API endpoint, 1,000
cases per family; over-long values are refused with a message, never cut short in silence;
HTML in any field is shown escaped.

Each family is one test function with the briefing loaded once (rolled back after): its
1,000 cases share that database. In the API family, each case draws one endpoint from every
API URL pattern collected from the URLconf (``api_patterns``), and a test fails when an
endpoint is added without a strategy here. Schemathesis checks every answer against the
API's OpenAPI schema besides (tests/test_openapi.py).
"""

import itertools
import json
from collections import Counter
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusters.models import Cluster, Sector, State
from matchmaking.models import Interest, Organisation
from tests.factories import PASSWORD, make_interest, make_organisation, make_suggestion

CASES = 1000
FUZZ = settings(
    max_examples=CASES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

NASTY = [
    "", " ", "\x00", "\x00abc", "\t\r\n", "<script>alert(1)</script>", '"><img src=x onerror=1>',
    "' OR 1=1 --", "%00", "%", "../../etc/passwd", "\u202egnp.exe", "😀" * 50, "\ud7ff",
    "a" * 201, "x" * 4001, "NaN", "-1", "0", "1e309", "9" * 40, "[]", "{}", "null", "None",
    "true", "ǅ", "İ", "ß" * 3, "mx-nle", "MX-NLE ", " aerospace", "ａｅｒｏ", "\\", "/", "?",
    "#", "&", "=", "+", ",", ",,,", "a,b,c", "1.5", "0x10", "１２",
]  # fmt: skip
text = st.text(st.characters(codec="utf-8"), max_size=60)
long_text = st.builds(lambda char, n: char * n, st.characters(codec="utf-8"), st.integers(0, 5000))
junk = st.one_of(st.sampled_from(NASTY), text, long_text)


def sometimes(rare, usual, *, one_in: int = 8):
    """``usual`` mostly, ``rare`` about one time in ``one_in`` (hypothesis favours the first
    of a ``sampled_from``, so the rare case comes last)."""
    return st.sampled_from([False] * (one_in - 1) + [True]).flatmap(
        lambda is_rare: rare if is_rare else usual
    )


def maybe(*valid):
    """A valid value, one time in eight junk."""
    return sometimes(junk, st.one_of(*valid))


def values(strategy):
    """A query/form field's values: mostly one or two, sometimes none or several."""
    return sometimes(st.lists(strategy, max_size=6), st.lists(strategy, min_size=1, max_size=2))


def without_some(data: dict, draw) -> dict:
    """One time in eight, a field or two left out of the request."""
    if draw(st.sampled_from([False] * 7 + [True])):
        for name in draw(st.sets(st.sampled_from(sorted(data)), min_size=1, max_size=2)):
            del data[name]
    return data


def record_family(record, statuses: Counter, **more):
    record(
        cases=sum(statuses.values()),
        server_errors=sum(n for status, n in statuses.items() if status >= 500),
        statuses=dict(sorted(statuses.items())),
        **more,
    )
    assert sum(statuses.values()) >= CASES


def ensure_no_server_error(response):
    assert response.status_code < 500, response.content[:500]
    return response


# --- Sign-up -------------------------------------------------------------------------------


UNIQUE_EMAIL = "unique"  # replaced by a new address in each case


@st.composite
def signup_data(draw):
    password = draw(maybe(st.just(PASSWORD), text.filter(lambda p: len(p) >= 8)))
    taken = st.integers(0, 20).map(lambda n: f"fuzz-{n}@example.eu")  # some already taken
    data = {
        "email": draw(maybe(sometimes(taken, st.just(UNIQUE_EMAIL)))),
        "password1": password,
        "password2": draw(sometimes(junk, st.just(password))),
        "name": draw(maybe(text.filter(str.strip), st.just("x" * 200))),
        "country": draw(maybe(st.sampled_from(["DE", "FR", "ES", "IT", "NL"]))),
        "kind": draw(maybe(st.sampled_from(Organisation.Kind.values))),
        "website": draw(maybe(st.just(""), st.just("https://example.eu/a"), st.just("example.eu"))),
        "description": draw(maybe(text, st.just("d" * 4000))),
        "consent": draw(maybe(st.just("on"))),
    }
    return without_some(data, draw)


def test_signup_fuzz(db, record):
    statuses = Counter()
    addresses = itertools.count(1)  # one client address per case: the throttle is tested apart

    @FUZZ
    @given(data=signup_data())
    def post(data):
        n = next(addresses)
        client = Client(REMOTE_ADDR=f"127.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}")
        if data.get("email") == UNIQUE_EMAIL:
            data = {**data, "email": f"fuzz-unique-{n}@example.eu"}
        response = ensure_no_server_error(client.post(reverse("matchmaking:signup"), data))
        statuses[response.status_code] += 1
        assert response.status_code in (200, 302, 429)
        if response.status_code == 302:
            organisation = Organisation.objects.select_related("user").get(
                user__email=data["email"].strip().lower()
            )
            # Stored exactly as given (only surrounding spaces trimmed), never truncated.
            assert organisation.name == data["name"].strip()
            assert organisation.description == data.get("description", "").strip()
            assert organisation.user.check_password(data["password1"])

    post()
    record_family(record, statuses)


# --- Interests -----------------------------------------------------------------------------


@st.composite
def interest_data(draw, sector_ids, state_ids):
    data = {
        "title": draw(maybe(text.filter(str.strip), st.just("t" * 120))),
        "sectors": draw(values(maybe(st.sampled_from(sector_ids)))),
        "states": draw(values(maybe(st.sampled_from(state_ids)))),
        "kinds": draw(values(maybe(st.sampled_from(Interest.Kind.values)))),
        "description": draw(maybe(text, st.just("d" * 4000))),
    }
    return without_some(data, draw)


def test_interest_fuzz(briefing, client, record):
    organisation = make_organisation()
    client.force_login(organisation.user)
    mine = make_interest(organisation, sectors=["aerospace"])
    theirs = make_interest(make_organisation(), sectors=["aerospace"])
    sector_ids = list(Sector.objects.values_list("pk", flat=True))
    state_ids = list(State.objects.values_list("pk", flat=True))
    targets = [
        reverse("matchmaking:interest_new"),
        reverse("matchmaking:interest_edit", args=[mine.pk]),
        reverse("matchmaking:interest_edit", args=[theirs.pk]),
        reverse("matchmaking:interest_edit", args=[987654321]),
    ]

    @FUZZ
    @given(data=interest_data(sector_ids, state_ids), target=st.sampled_from(targets))
    def post(data, target):
        before = Interest.objects.count()
        response = ensure_no_server_error(client.post(target, data))
        statuses[response.status_code] += 1
        if target == targets[2] or target == targets[3]:
            assert response.status_code == 404
            return
        assert response.status_code in (200, 302)
        if response.status_code == 302:
            interest = Interest.objects.get(pk=int(response.url.strip("/").split("/")[-1]))
            assert interest.organisation_id == organisation.pk
            assert interest.title == data["title"].strip()
            assert interest.description == data.get("description", "").strip()
            assert {str(pk) for pk in interest.sectors.values_list("pk", flat=True)} == {
                str(pk) for pk in data["sectors"]
            }
        else:
            assert Interest.objects.count() == before  # an invalid form saves nothing

    statuses = Counter()
    post()
    theirs.refresh_from_db()
    assert theirs.organisation_id != organisation.pk
    record_family(record, statuses)


# --- Directory filters ---------------------------------------------------------------------

FILTER_NAMES = ["q", "sector", "state", "label", "formally_organised", "page"]


@st.composite
def directory_query(draw, sectors, states):
    valid = {
        "q": st.sampled_from(["claut", "aero", "Clúster", "nuevo leon"]),
        "sector": st.sampled_from(sectors),
        "state": st.sampled_from([*states, "none"]),
        "label": st.sampled_from(["valid", "any"]),
        "formally_organised": st.sampled_from(["true", "false"]),
        "page": st.integers(-2, 5).map(str),
    }
    query = {}
    for name in draw(st.sets(st.sampled_from(FILTER_NAMES))):
        usual = st.one_of(valid["q"], text) if name == "q" else valid[name]  # q: any text
        query[name] = draw(sometimes(values(junk), usual))
    if draw(st.integers(0, 9)) == 0:  # an unknown parameter
        query[draw(text.filter(lambda key: key not in FILTER_NAMES))] = [draw(junk)]
    return query


def fuzz_query_pages(client, record, queries, pages, allowed) -> None:
    """GET each of ``pages`` (the HTML page, then its JSON twin) with generated ``queries``:
    no server error, only ``allowed`` statuses, and the JSON twin holds results exactly when
    it answers 200."""

    @FUZZ
    @given(query=queries, path=st.sampled_from(pages))
    def get(query, path):
        response = ensure_no_server_error(client.get(path, query))
        statuses[response.status_code] += 1
        assert response.status_code in allowed
        if path == pages[1]:
            body = response.json()
            assert ("results" in body) == (response.status_code == 200)

    statuses = Counter()
    get()
    record_family(record, statuses)


def test_directory_filter_fuzz(briefing, client, record):
    sectors = list(Sector.objects.values_list("slug", flat=True))
    states = list(State.objects.values_list("code", flat=True))
    pages = [reverse("clusters:cluster_list"), reverse("clusters:api_cluster_list")]
    fuzz_query_pages(client, record, directory_query(sectors, states), pages, (200, 400, 404))


# --- Match preview -------------------------------------------------------------------------

PREVIEW_NAMES = ["sectors", "states", "kinds", "description", "limit"]


@st.composite
def preview_query(draw, sectors, states):
    valid = {
        "sectors": st.sampled_from(sectors),
        "states": st.sampled_from(states),
        "kinds": st.sampled_from(Interest.Kind.values),
        "description": text,
        "limit": st.integers(-5, 60).map(str),
    }
    names = draw(st.sets(st.sampled_from(PREVIEW_NAMES)))
    query = {}
    for name in names | draw(sometimes(st.just(set()), st.just({"sectors"}))):
        if name in ("sectors", "states", "kinds") and draw(st.booleans()):
            query[name] = ",".join(draw(values(maybe(valid[name]))))  # comma-separated form
        else:
            query[name] = draw(values(maybe(valid[name])))
    if draw(st.integers(0, 9)) == 0:
        query[draw(text.filter(lambda key: key not in PREVIEW_NAMES))] = [draw(junk)]
    return query


def test_match_preview_fuzz(briefing, client, record):
    sectors = list(Sector.objects.values_list("slug", flat=True))
    states = list(State.objects.values_list("code", flat=True))
    pages = [reverse("matchmaking:match_preview"), reverse("matchmaking:api_match_preview")]
    fuzz_query_pages(client, record, preview_query(sectors, states), pages, (200, 400))


# --- Every API endpoint --------------------------------------------------------------------


def api_patterns() -> dict[str, str]:
    """Every URL pattern under ``api/v1/``, as {"namespace:name": route} (the schema, its
    docs page and the redirects from the paths before versions: tests/test_openapi.py)."""
    found = {}

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace)
            elif isinstance(pattern, URLPattern) and "api/v1/" in prefix + str(pattern.pattern):
                found[f"{namespace}:{pattern.name}"] = prefix + str(pattern.pattern)

    walk(get_resolver().url_patterns, "", None)
    return found


slug = st.from_regex(r"[-a-zA-Z0-9_]{1,60}", fullmatch=True)
query_junk = st.dictionaries(st.one_of(text, st.sampled_from(FILTER_NAMES + PREVIEW_NAMES)),
                             values(junk), max_size=4)  # fmt: skip


def api_strategies(cluster_slugs, sectors, states):
    """How to draw a request for each API endpoint: (path, query) strategies."""

    def fixed(name):
        return st.tuples(st.just(reverse(name)), query_junk)

    return {
        "clusters:api_index": fixed("clusters:api_index"),
        "clusters:api_cluster_list": st.tuples(
            st.just(reverse("clusters:api_cluster_list")),
            st.one_of(directory_query(sectors, states), query_junk),
        ),
        "clusters:api_cluster_detail": st.tuples(
            st.one_of(st.sampled_from(cluster_slugs), slug).map(
                lambda value: reverse("clusters:api_cluster_detail", args=[value])
            ),
            query_junk,
        ),
        "clusters:api_sector_list": fixed("clusters:api_sector_list"),
        "clusters:api_state_list": fixed("clusters:api_state_list"),
        "clusters:api_not_found": st.tuples(
            st.lists(text, max_size=3).map(
                lambda parts: "/api/v1/" + "".join(quote(part, safe="") + "/" for part in parts)
            ),
            query_junk,
        ),
        "matchmaking:api_my_suggestions": fixed("matchmaking:api_my_suggestions"),
        "matchmaking:api_my_computing": fixed("matchmaking:api_my_computing"),
        "matchmaking:api_match_preview": st.tuples(
            st.just(reverse("matchmaking:api_match_preview")),
            st.one_of(preview_query(sectors, states), query_junk),
        ),
    }


def test_every_api_endpoint_has_a_fuzz_strategy(db):
    """A new API URL fails here until ``api_strategies`` can draw requests for it."""
    assert set(api_patterns()) == set(api_strategies(["x"], ["x"], ["x"]))


METHODS = ["GET", "GET", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def test_api_fuzz(briefing, record):
    cluster_slugs = list(Cluster.objects.values_list("slug", flat=True))
    sectors = list(Sector.objects.values_list("slug", flat=True))
    states = list(State.objects.values_list("code", flat=True))
    strategies = api_strategies(cluster_slugs, sectors, states)
    assert set(strategies) == set(api_patterns())
    anonymous, member = Client(), Client()
    organisation = make_organisation()
    make_suggestion(make_interest(organisation, sectors=["aerospace"]))
    member.force_login(organisation.user)
    drawn = st.sampled_from(sorted(strategies)).flatmap(
        lambda name: st.tuples(st.just(name), strategies[name])
    )
    seen = set()

    @FUZZ
    @given(request=drawn, method=st.sampled_from(METHODS), logged_in=st.booleans())
    def call(request, method, logged_in):
        name, (path, query) = request
        seen.add(name)
        client = member if logged_in else anonymous
        if method in ("GET", "HEAD"):
            response = client.generic(method, path + _query_string(query))
        else:
            response = client.generic(method, path, json.dumps(query), "application/json")
        ensure_no_server_error(response)
        statuses[response.status_code] += 1
        per_endpoint[name] += 1
        assert response["Content-Type"].startswith("application/json"), (name, method)
        if method not in ("GET", "HEAD"):
            assert response.status_code == 405

    statuses, per_endpoint = Counter(), Counter()
    call()
    assert seen == set(strategies)  # every endpoint was drawn
    record_family(record, statuses, endpoints=dict(sorted(per_endpoint.items())))


def _query_string(query: dict) -> str:
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    for key, items in query.items():
        data.setlist(key, items if isinstance(items, list) else [items])
    encoded = data.urlencode()
    return f"?{encoded}" if encoded else ""


# --- Over-long values: refused with a message, never cut short ----------------------------

SIGNUP = {
    "email": "long@example.eu",
    "password1": PASSWORD,
    "password2": PASSWORD,
    "name": "Organisation",
    "country": "DE",
    "kind": "sme",
    "website": "",
    "description": "",
    "consent": "on",
}
TOO_LONG_SIGNUP = [
    ("name", "n" * 201, "at most 200 characters (it has 201)"),
    ("description", "d" * 4001, "at most 4000 characters (it has 4001)"),
    ("website", "https://example.eu/" + "w" * 282, "at most 300 characters (it has 301)"),
    ("email", "e" * 140 + "@example.eu", "at most 150 characters (it has 151)"),
]


@pytest.mark.parametrize(("field", "value", "message"), TOO_LONG_SIGNUP)
def test_over_long_signup_values_are_refused_with_a_message(db, client, field, value, message):
    response = client.post(reverse("matchmaking:signup"), {**SIGNUP, field: value})
    assert response.status_code == 200
    assert message in response.text
    assert not Organisation.objects.exists()


def test_values_at_the_limit_are_stored_whole(db, client):
    data = {**SIGNUP, "name": "n" * 200, "description": "d" * 4000}
    assert client.post(reverse("matchmaking:signup"), data).status_code == 302
    organisation = Organisation.objects.get()
    assert (len(organisation.name), len(organisation.description)) == (200, 4000)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "t" * 121, "at most 120 characters (it has 121)"),
        ("description", "d" * 4001, "at most 4000 characters (it has 4001)"),
    ],
)
def test_over_long_interest_values_are_refused_with_a_message(db, client, field, value, message):
    from tests.factories import make_sector

    organisation = make_organisation()
    client.force_login(organisation.user)
    data = {"title": "Aero", "sectors": [make_sector("aerospace").pk], "kinds": ["technology"]}
    response = client.post(reverse("matchmaking:interest_new"), {**data, field: value})
    assert response.status_code == 200
    assert message in response.text
    assert not Interest.objects.exists()


def test_over_long_preview_description_is_a_400_with_a_message(briefing, client):
    response = client.get(
        reverse("matchmaking:api_match_preview"),
        {"sectors": "aerospace", "description": "d" * 4001},
    )
    assert response.status_code == 400
    assert "at most 4000 characters" in response.json()["fields"]["description"][0]


# --- HTML shown escaped --------------------------------------------------------------------

PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


@pytest.mark.parametrize("payload", PAYLOADS)
def test_html_in_every_field_is_shown_escaped(db, client, payload):
    from django.utils.html import escape

    organisation = make_organisation(
        name=f"Org {payload}", description=f"About {payload}", website="https://example.eu"
    )
    interest = make_interest(organisation, title=f"Title {payload}", description=f"Desc {payload}")
    suggestion = make_suggestion(interest)
    Cluster.objects.filter(pk=suggestion.cluster_id).update(name=f"Cluster {payload}")
    client.force_login(organisation.user)
    pages = {
        "dashboard": reverse("matchmaking:dashboard"),
        "interest": reverse("matchmaking:interest_detail", args=[interest.pk]),
        "edit": reverse("matchmaking:interest_edit", args=[interest.pk]),
        "my data": reverse("matchmaking:my_data"),
        "delete": reverse("matchmaking:delete_account"),
    }
    for name, url in pages.items():
        html = client.get(url).content.decode()
        assert payload not in html, name
        assert escape(payload) in html, name
    # The JSON APIs carry the text as data, never as markup.
    api = client.get(reverse("matchmaking:api_my_suggestions"))
    assert api["Content-Type"] == "application/json"
    assert api["X-Content-Type-Options"] == "nosniff"
    assert api.json()["interests"][0]["title"] == f"Title {payload}"


def test_html_in_the_directory_search_is_shown_escaped(briefing, client):
    payload = PAYLOADS[0]
    html = client.get(reverse("clusters:cluster_list"), {"q": payload}).content.decode()
    assert payload not in html
    assert "&lt;script&gt;" in html
