"""The read-only JSON API: clusters (filtered, paginated), a cluster, sectors, states."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from clusters.models import Cluster, Sector
from tests.clusters.test_directory import TOKEN_QUERIES, populate
from tests.factories import make_cluster, make_sector, make_state


@pytest.fixture(autouse=True)
def _page_sizes(settings):
    settings.DIRECTORY_PAGE_SIZE = 25
    settings.API_PAGE_SIZE = 50


def api_names(response):
    return [cluster["name"] for cluster in response.json()["results"]]


@pytest.mark.parametrize("count", [5, 60])
def test_list_query_count_does_not_grow_with_clusters(client, db, django_assert_num_queries, count):
    populate(count)
    with django_assert_num_queries(5 + TOKEN_QUERIES):
        # 0. the version token of the cluster data (the page cache's key, clusters.pagecache)
        # 1. COUNT of the filtered clusters (paginator)
        # 2. the page of clusters joined with their state (select_related)
        # 3. their sectors (prefetch)
        # 4. their ESCA labels (prefetch)
        # 5. their other names (prefetch)
        response = client.get(reverse("clusters:api_cluster_list"))
    assert response.status_code == 200
    assert len(response.json()["results"]) == min(count, 50)


@pytest.mark.parametrize("count", [5, 60])
def test_filtered_list_query_count_does_not_grow(client, db, django_assert_num_queries, count):
    populate(count)
    params = {"sector": "ict", "state": "MX-QUE", "label": "any", "q": "CLUSTER"}
    with django_assert_num_queries(9 + TOKEN_QUERIES):
        # 0. the version token; 1. the sector slug and 2. the state code looked up (validation)
        # 3-4. the states' and sectors' names the text may name (search); 5. COUNT;
        # 6. the page with states; 7-9. sectors, labels, other names (prefetch)
        response = client.get(reverse("clusters:api_cluster_list"), params)
    assert response.status_code == 200
    assert response.json()["count"] > 0


def test_list_is_paginated_with_absolute_links_that_keep_filters(client, db, settings):
    populate(60)
    url = reverse("clusters:api_cluster_list")
    settings.API_PAGE_SIZE = 20
    first = client.get(url, {"formally_organised": "false", "q": "cluster"})
    body = first.json()
    assert first["Content-Type"] == "application/json"
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 30
    assert body["previous"] is None
    assert body["next"] == (
        "http://testserver/api/v1/clusters/?formally_organised=false&q=cluster&page=2"
    )
    assert len(body["results"]) == 20
    second = client.get(body["next"]).json()
    assert second["next"] is None
    assert second["previous"] == (
        "http://testserver/api/v1/clusters/?formally_organised=false&q=cluster"
    )
    assert len(second["results"]) == 10

    settings.API_PAGE_SIZE = 50

    all_first = client.get(url).json()
    assert all_first["count"] == 60 and len(all_first["results"]) == 50
    all_second = client.get(all_first["next"]).json()
    assert all_second["next"] is None
    assert all_second["previous"] == "http://testserver/api/v1/clusters/"  # page 1: no page=
    assert len(all_second["results"]) == 10
    names = [c["name"] for c in all_first["results"] + all_second["results"]]
    assert names == sorted(names) and len(set(names)) == 60
    assert "Hidden cluster" not in names


def test_cluster_representation(client, db):
    nle = make_state("MX-NLE", "Nuevo León")
    auto = make_sector("automotive", "Automotive", "Automotriz")
    make_cluster(
        name="Cluster Automotriz de Prueba",
        acronym="CLAP",
        state=nle,
        sectors=[auto],
        sector_label="Automotive",
        website="http://www.example.org",
        description="Comprised of 92 members.",
        members=92,
        companies=None,
        founded_year=2007,
        exports_usd_millions=Decimal("1234.50"),
        figures_note="92 members",
        is_formally_organised=True,
        source="Table 3 (test)",
        last_verified=date(2024, 5, 1),
        labels=[("gold", False, "Not valid since mid-2016 (footnote 115)")],
        other_names=["Prueba Auto Cluster", "Automotive Cluster of Prueba"],
    )
    cluster = client.get(reverse("clusters:api_cluster_list")).json()["results"][0]
    slug = cluster["slug"]
    assert cluster == {
        "slug": slug,
        "name": "Cluster Automotriz de Prueba",
        "other_names": ["Automotive Cluster of Prueba", "Prueba Auto Cluster"],
        "acronym": "CLAP",
        "state": {"code": "MX-NLE", "name": "Nuevo León"},
        "sectors": [{"slug": "automotive", "name": "Automotive"}],
        "sector_label": "Automotive",
        "labels": [
            {
                "level": "gold",
                "valid": False,
                "valid_as_of": "2016-12",
                "validity_note": "Not valid since mid-2016 (footnote 115)",
                "listed_name": "",
                "source": "Table 4 (test)",
            }
        ],
        "formally_organised": True,
        "website": "http://www.example.org",
        "website_kind": None,
        "description": "Comprised of 92 members.",
        "members": 92,
        "members_qualifier": None,
        "companies": None,
        "companies_qualifier": None,
        "founded_year": 2007,
        "exports_usd_millions": "1234.50",
        "figures_note": "92 members",
        "source": "Table 3 (test)",
        "last_verified": "2024-05-01",
        "url": f"http://testserver/clusters/{slug}/",
    }
    detail = client.get(reverse("clusters:api_cluster_detail", args=[slug]))
    assert detail.status_code == 200
    assert detail.json() == cluster
    assert "Nuevo León" in detail.content.decode()  # UTF-8, not \\u escapes


def test_cluster_without_state_has_null_state(client, db):
    cluster = make_cluster(name="Stateless")
    body = client.get(reverse("clusters:api_cluster_detail", args=[cluster.slug])).json()
    assert body["state"] is None
    assert body["exports_usd_millions"] is None
    assert body["last_verified"] is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"sector": "automotive"}, ["Auto NL", "Nowhere"]),
        ({"state": "MX-NLE"}, ["Auto NL"]),
        ({"state": "none"}, ["Nowhere"]),
        ({"label": "valid"}, ["Aero QRO"]),
        ({"label": "any"}, ["Aero QRO", "Auto NL"]),
        ({"formally_organised": "true"}, ["Auto NL"]),
        ({"formally_organised": "false"}, ["Aero QRO", "Nowhere"]),
        ({"q": "aero qro"}, ["Aero QRO"]),
        ({"q": "AUTO NL"}, ["Auto NL"]),
        ({"q": "AUTO"}, ["Auto NL", "Nowhere"]),  # "Nowhere" by its sector, Automotive
        ({"q": "queretaro"}, ["Aero QRO"]),  # by its state
    ],
)
def test_each_filter(client, small_directory, params, expected):
    response = client.get(reverse("clusters:api_cluster_list"), params)
    assert response.status_code == 200
    assert api_names(response) == expected
    assert response.json()["count"] == len(expected)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"state": "MX-BCN"}, 12),
        ({"q": "queretaro"}, None),
        ({"q": "claut"}, 2),
        ({"q": "Bioclúster de Nuevo León"}, 1),
        ({"state": "MX-NLE", "formally_organised": "true"}, 12),
    ],
)
def test_filters_on_the_briefing(client, briefing, params, expected):
    body = client.get(reverse("clusters:api_cluster_list"), params).json()
    if expected is not None:
        assert body["count"] == expected
    if "q" in params:
        assert body["count"] > 0
        assert body["count"] == Cluster.objects.published().search(params["q"]).count()


def test_unpublished_cluster_is_absent_from_the_api(client, small_directory):
    hidden = Cluster.objects.get(name="Hidden")
    assert "Hidden" not in api_names(client.get(reverse("clusters:api_cluster_list")))
    assert "Hidden" not in api_names(
        client.get(reverse("clusters:api_cluster_list"), {"label": "valid"})
    )
    response = client.get(reverse("clusters:api_cluster_detail", args=[hidden.slug]))
    assert response.status_code == 404
    assert response.json() == {"error": f"No published cluster has the slug “{hidden.slug}”."}
    states = {s["code"]: s["cluster_count"] for s in client.get("/api/v1/states/").json()}
    assert states["MX-NLE"] == 1
    sectors = {s["slug"]: s["cluster_count"] for s in client.get("/api/v1/sectors/").json()}
    assert sectors == {"aerospace": 2, "automotive": 2}


def test_sectors_endpoint(client, django_assert_num_queries, briefing):
    with django_assert_num_queries(2):
        # 1. sectors with published counts; 2. their ecosystems (prefetch)
        response = client.get(reverse("clusters:api_sector_list"))
    sectors = {s["slug"]: s for s in response.json()}
    assert len(sectors) == Sector.objects.count()
    auto = sectors["automotive"]
    assert auto["name"] == "Automotive" and auto["name_es"] == "Automotriz"
    assert auto["is_promexico_priority"] is True
    assert {"slug": "mobility-transport-automotive", "name": auto["ecosystems"][0]["name"]} in (
        auto["ecosystems"]
    )
    assert (
        auto["cluster_count"]
        == Cluster.objects.published().filter(sectors__slug="automotive").count()
    )
    assert auto["url"] == "http://testserver/sectors/automotive/"
    assert auto["clusters"] == "http://testserver/api/v1/clusters/?sector=automotive"


def test_sectors_endpoint_in_spanish(client, briefing):
    client.cookies["django_language"] = "es"
    sectors = {s["slug"]: s for s in client.get(reverse("clusters:api_sector_list")).json()}
    assert sectors["automotive"]["name"] == "Automotriz"


def test_states_endpoint(client, django_assert_num_queries, briefing):
    with django_assert_num_queries(1):
        # 1. states with their count of published clusters
        response = client.get(reverse("clusters:api_state_list"))
    states = {s["code"]: s for s in response.json()}
    assert len(states) == 32
    assert states["MX-NLE"] == {
        "code": "MX-NLE",
        "name": "Nuevo León",
        "cluster_count": 12,
        "table3_cluster_count": 12,  # as Table 3 counts them
        "other_cluster_count": 0,
        "url": "http://testserver/states/MX-NLE/",
    }
    # Jalisco: Table 3's six, and two clusters named only in Table 4.
    assert (states["MX-JAL"]["table3_cluster_count"], states["MX-JAL"]["other_cluster_count"]) == (
        6,
        2,
    )
    assert (
        sum(s["cluster_count"] for s in states.values())
        == Cluster.objects.published().exclude(state=None).count()
    )


def test_api_index_lists_endpoints(client, db):
    assert client.get("/api/v1/").json() == {
        "clusters": "http://testserver/api/v1/clusters/",
        "sectors": "http://testserver/api/v1/sectors/",
        "states": "http://testserver/api/v1/states/",
    }


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_api_is_read_only(client, db, method):
    response = getattr(client, method)(reverse("clusters:api_cluster_list"))
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert "read-only" in response.json()["error"]
