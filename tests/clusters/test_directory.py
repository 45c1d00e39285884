"""The public directory pages: list, filters, search, cluster/state/sector pages, map and chart."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from clusters.models import (
    Cluster,
    Programme,
    Sector,
    SectorFact,
    SectorStronghold,
    State,
)
from clusters.text import fold
from clusters.views.charts import MAP_DATA, MAP_ID_TO_ISO, fill_for, map_outline
from tests.factories import make_cluster, make_sector, make_state

# The page cache's version token is read only where triggers keep one (PostgreSQL).
TOKEN_QUERIES = 1 if connection.vendor == "postgresql" else 0


def populate(count):
    """``count`` published clusters spread over 3 states and 4 sectors, each with a label and
    another name, so every prefetch has rows to fetch; plus one unpublished cluster."""
    states = [
        make_state("MX-NLE", "Nuevo León"),
        make_state("MX-QUE", "Querétaro"),
        make_state("MX-BCN", "Baja California"),
    ]
    sectors = [
        make_sector("automotive", "Automotive", "Automotriz"),
        make_sector("aerospace", "Aerospace", "Aeroespacial"),
        make_sector("ict", "ICT", "TIC"),
        make_sector("health", "Health", "Salud"),
    ]
    for i in range(count):
        make_cluster(
            name=f"Cluster {i:03d}",
            state=states[i % 3],
            sectors=[sectors[i % 4], sectors[(i + 1) % 4]],
            labels=[("bronze", i % 2 == 0)],
            other_names=[f"Other name {i}"],
            is_formally_organised=i % 2 == 0,
        )
    make_cluster(name="Hidden cluster", state=states[0], sectors=sectors[:1], is_published=False)


def names_in(response):
    """Names of the clusters on a directory list page."""
    return [cluster.name for cluster in response.context["page_obj"].object_list]


@pytest.fixture(autouse=True)
def _page_sizes(settings):
    settings.DIRECTORY_PAGE_SIZE = 25
    settings.API_PAGE_SIZE = 50


# --- The list ----------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [5, 60])
def test_list_query_count_does_not_grow_with_clusters(client, db, django_assert_num_queries, count):
    populate(count)
    with django_assert_num_queries(7 + TOKEN_QUERIES):
        # 0. the version token of the cluster data (the page cache's key, clusters.pagecache)
        # 1. COUNT of the filtered clusters (paginator)
        # 2. the page of clusters joined with their state (select_related)
        # 3. their sectors (prefetch)
        # 4. their ESCA labels (prefetch)
        # 5. their other names (prefetch)
        # 6. the sectors offered by the filter form's <select>
        # 7. the states offered by the filter form's <select>
        response = client.get(reverse("clusters:cluster_list"))
    assert response.status_code == 200
    assert len(names_in(response)) == min(count, 25)


@pytest.mark.parametrize("count", [5, 60])
def test_filtered_list_query_count_does_not_grow(client, db, django_assert_num_queries, count):
    populate(count)
    url = reverse("clusters:cluster_list")
    params = {"state": "MX-NLE", "sector": "automotive", "label": "any", "q": "cluster"}
    with django_assert_num_queries(11 + TOKEN_QUERIES):
        # 0. the version token of the cluster data (the page cache's key)
        # 1. the sector slug looked up (form validation)
        # 2. the state code looked up (form validation)
        # 3-4. the states' and sectors' names the text may name (search)
        # 5. COUNT of the filtered clusters
        # 6. the page of clusters with their state
        # 7-9. their sectors, labels and other names (prefetch)
        # 10-11. the sectors and states of the form's <select>s
        response = client.get(url, params)
    assert response.status_code == 200
    assert names_in(response)


def test_list_shows_published_clusters_only(client, db):
    populate(3)
    response = client.get(reverse("clusters:cluster_list"))
    assert names_in(response) == ["Cluster 000", "Cluster 001", "Cluster 002"]
    assert "Hidden cluster" not in response.content.decode()
    assert response.context["page_obj"].paginator.count == 3


def test_list_paginates_and_keeps_filters_in_page_links(client, db):
    populate(60)
    url = reverse("clusters:cluster_list")
    first = client.get(url, {"formally_organised": "true"})
    assert first.context["page_obj"].paginator.count == 30
    assert "?formally_organised=true&amp;page=2" in first.content.decode()
    second = client.get(url, {"formally_organised": "true", "page": "2"})
    assert second.status_code == 200
    assert len(names_in(second)) == 5
    assert set(names_in(first)).isdisjoint(names_in(second))


def test_old_directory_links_to_the_home_page_redirect_to_the_list_with_their_query(client, db):
    assert reverse("clusters:cluster_list") == "/clusters/"
    response = client.get("/?state=MX-NLE&page=2")
    assert response.status_code == 302
    assert response["Location"] == "/clusters/?state=MX-NLE&page=2"
    # Without the directory's parameters, "/" is the landing page.
    assert client.get("/?utm_source=x").status_code == 200


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["Aero QRO", "Auto NL", "Nowhere"]),
        ({"sector": "automotive"}, ["Auto NL", "Nowhere"]),
        ({"sector": "aerospace"}, ["Aero QRO", "Nowhere"]),
        ({"state": "MX-NLE"}, ["Auto NL"]),
        ({"state": "MX-QUE"}, ["Aero QRO"]),
        ({"state": "none"}, ["Nowhere"]),
        ({"label": "valid"}, ["Aero QRO"]),
        ({"label": "any"}, ["Aero QRO", "Auto NL"]),
        ({"formally_organised": "true"}, ["Auto NL"]),
        ({"formally_organised": "false"}, ["Aero QRO", "Nowhere"]),
        ({"sector": "automotive", "state": "MX-NLE", "label": "any"}, ["Auto NL"]),
        ({"sector": "aerospace", "label": "valid", "formally_organised": "true"}, []),
        # Empty values, as the form submits them, filter nothing.
        (
            {"sector": "", "state": "", "label": "", "formally_organised": "", "q": "", "page": ""},
            ["Aero QRO", "Auto NL", "Nowhere"],
        ),
    ],
)
def test_each_filter(client, small_directory, params, expected):
    response = client.get(reverse("clusters:cluster_list"), params)
    assert response.status_code == 200
    assert names_in(response) == expected


def test_no_result_is_a_200_with_a_message(client, small_directory):
    response = client.get(reverse("clusters:cluster_list"), {"q": "zzzz"})
    assert response.status_code == 200
    assert "No cluster matches these filters." in response.content.decode()


# --- Search over every name and acronym, ignoring case and accents (the real briefing) -------


@pytest.mark.parametrize(
    ("text", "expected_names"),
    [
        ("BioTQ", {"Cluster BioTQ"}),
        ("biotecnologia de queretaro", {"Cluster BioTQ"}),  # found by its other name only
        (
            "claut",
            {"Cluster Automotriz de Nuevo León", "Cluster Automotriz Estado de Mexico (CLAUT)"},
        ),
        ("Bioclúster de Nuevo León", {"Cluster Biotecnológico de Nuevo León"}),
        ("BIOCLUSTER DE NUEVO LEON", {"Cluster Biotecnológico de Nuevo León"}),
        ("nuevo león auto cluster", {"Cluster Automotriz de Nuevo León"}),
        ("  monterrey   aerocluster ", {"Monterrey AeroCluster"}),
    ],
)
def test_search_ignores_case_and_accents_over_all_names(client, briefing, text, expected_names):
    response = client.get(reverse("clusters:cluster_list"), {"q": text})
    assert response.status_code == 200
    assert expected_names <= set(names_in(response))
    # Every result really matches, by one of its names or its acronym.
    for cluster in response.context["page_obj"].object_list:
        assert fold(text) in cluster.search_text


QUERETARO_TABLE3 = {
    "Aerocluster de Querétaro",
    "Clúster Vortice TI",
    "Cluster BioTQ",
    "Cluster Automotriz de Querétaro",
}


@pytest.mark.parametrize("text", ["queretaro", "QUERÉTARO", "Querétaro de Arteaga"])
def test_search_finds_every_cluster_of_a_state_by_its_name(client, briefing, text):
    """Table 3 lists four clusters in Querétaro; "Clúster Vortice TI" names no state."""
    response = client.get(reverse("clusters:cluster_list"), {"q": text})
    assert set(names_in(response)) == QUERETARO_TABLE3


@pytest.mark.parametrize(
    ("text", "sector"),
    [("aeroespacial", "aerospace"), ("AEROSPACE", "aerospace"), ("biotecnologia", "biotechnology")],
)
def test_search_finds_the_clusters_of_a_sector_in_either_language(client, briefing, text, sector):
    response = client.get(reverse("clusters:cluster_list"), {"q": text})
    expected = set(
        Cluster.objects.published().filter(sectors__slug=sector).values_list("name", flat=True)
    )
    assert expected and expected <= set(names_in(response))


def test_search_finds_nothing_unpublished(client, briefing):
    Cluster.objects.filter(slug__startswith="cluster-automotriz-de-nuevo-leon").update(
        is_published=False
    )
    response = client.get(reverse("clusters:cluster_list"), {"q": "claut"})
    assert names_in(response) == ["Cluster Automotriz Estado de Mexico (CLAUT)"]


def test_briefing_counts_for_nuevo_leon(client, briefing):
    url = reverse("clusters:cluster_list")
    formal = client.get(url, {"state": "MX-NLE", "formally_organised": "true"})
    # Table 3's "Number of clusters" column gives 12 for Nuevo León.
    assert formal.context["page_obj"].paginator.count == 12


# --- A cluster's page ---------------------------------------------------------------------------


@pytest.fixture
def full_cluster(db):
    nle = make_state("MX-NLE", "Nuevo León")
    auto = make_sector("automotive", "Automotive", "Automotriz")
    return make_cluster(
        name="Clúster de Prueba de Nuevo León",
        acronym="CPNL",
        state=nle,
        sectors=[auto],
        sector_label="Automotive industry",
        website="https://example.org/cluster",
        description="A non-profit organisation.\n\nSecond paragraph.",
        members=92,
        companies=40,
        founded_year=2007,
        exports_usd_millions=Decimal("1234.50"),
        figures_note="92 members and 40 companies",
        is_formally_organised=True,
        source="Table 3 (test), footnote 113",
        last_verified=date(2024, 5, 1),
        labels=[("gold", False, "Not valid since mid-2016 (footnote 115)"), ("bronze", True)],
        other_names=["Prueba Auto Cluster"],
    )


def test_cluster_page_shows_every_field(client, full_cluster):
    response = client.get(full_cluster.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    for text in [
        "Clúster de Prueba de Nuevo León",
        "Prueba Auto Cluster",
        "Section 3.2 (test)",  # where the other name comes from
        "CPNL",
        'href="/states/MX-NLE/"',
        "Nuevo León",
        'href="/sectors/automotive/"',
        "Automotive industry",  # the briefing's own sector label
        '<a href="https://example.org/cluster" rel="noopener nofollow">',
        "<p>A non-profit organisation.</p>",
        "92",
        "40",
        "2007",
        "USD 1,234.50 million a year",
        "92 members and 40 companies",
        "Yes: listed among the formally organised clusters (Table 3)",
        "Table 3 (test), footnote 113",
        'datetime="2024-05-01"',
        "Gold",
        "lapsed",
        "Not valid since mid-2016 (footnote 115)",
        "Bronze",
    ]:
        assert text in html, text


def test_cluster_page_without_state_or_figures(client, db):
    cluster = make_cluster(name="Coconut Agricluster", state=None)
    html = client.get(cluster.get_absolute_url()).content.decode()
    assert "State not given in the briefing" in html
    assert "not yet verified" in html
    assert "The briefing lists no ESCA label for this cluster." in html


def test_cluster_page_lists_published_neighbours_in_bounded_number(
    client, django_assert_num_queries, db
):
    nle = make_state("MX-NLE", "Nuevo León")
    auto = make_sector("automotive")
    cluster = make_cluster(name="Main", state=nle, sectors=[auto], labels=[("bronze", True)])
    for i in range(12):
        make_cluster(name=f"Neighbour {i:02d}", state=nle, sectors=[auto])
    make_cluster(name="Unpublished neighbour", state=nle, sectors=[auto], is_published=False)
    with django_assert_num_queries(6):
        # 1. the cluster with its state
        # 2-4. its sectors, labels, other names (prefetch)
        # 5. up to 9 other published clusters sharing a sector (9th only says "more")
        # 6. up to 9 other published clusters in its state
        response = client.get(cluster.get_absolute_url())
    by_sector = [c.name for c in response.context["by_sector"]]
    assert by_sector == [f"Neighbour {i:02d}" for i in range(8)]
    assert response.context["more_by_sector"] is True
    assert [c.name for c in response.context["by_state"]] == by_sector
    assert "Unpublished neighbour" not in response.content.decode()
    assert "Main</a>" not in response.content.decode()


def test_unpublished_cluster_page_is_404(client, db):
    cluster = make_cluster(name="Draft", is_published=False)
    assert client.get(cluster.get_absolute_url()).status_code == 404
    assert client.get(reverse("clusters:cluster_detail", args=["no-such"])).status_code == 404


def test_website_that_is_not_http_is_not_linked(client, db):
    cluster = make_cluster(name="Odd", website="javascript:alert(1)")
    html = client.get(cluster.get_absolute_url()).content.decode()
    assert 'href="javascript:' not in html
    assert "javascript:alert(1)" in html  # shown as text


# --- States ----------------------------------------------------------------------------------


def test_state_page_lists_its_clusters_and_strongholds(client, small_directory):
    nle = State.objects.get(code="MX-NLE")
    SectorStronghold.objects.create(
        sector=Sector.objects.get(slug="automotive"), state=nle, position=1, source="Table 2"
    )
    response = client.get(reverse("clusters:state_detail", args=["MX-NLE"]))
    assert response.status_code == 200
    assert [c.name for c in response.context["clusters"]] == ["Auto NL"]
    html = response.content.decode()
    assert "Hidden" not in html
    assert "Table 2 of the briefing names Nuevo León" in html
    assert 'href="/sectors/automotive/"' in html


@pytest.mark.parametrize("code", ["XX", "MX-XXX", "mx-nle", "MX-NLE-1"])
def test_unknown_state_is_404(client, small_directory, code):
    assert client.get(reverse("clusters:state_detail", args=[code])).status_code == 404


def test_state_index_counts_published_clusters(client, django_assert_num_queries, briefing):
    make_cluster(name="Unpublished", state=State.objects.get(code="MX-NLE"), is_published=False)
    with django_assert_num_queries(2):
        # 1. states with their count of published clusters; 2. published clusters without state
        response = client.get(reverse("clusters:state_list"))
    counts = {s.code: s.published_cluster_count for s in response.context["states"]}
    assert len(counts) == 32
    assert counts["MX-NLE"] == Cluster.objects.published().filter(state__code="MX-NLE").count()
    assert counts["MX-BCS"] == 0
    assert (
        response.context["without_state"] == Cluster.objects.published().filter(state=None).count()
    )
    names = [s.name for s in response.context["states"]]
    assert names.index("México") < names.index("Michoacán de Ocampo")  # accents ignored


# --- Sectors ---------------------------------------------------------------------------------


def test_sector_page_shows_taxonomy_strongholds_facts_and_clusters(client, briefing):
    make_cluster(
        name="Unpublished auto", sectors=[Sector.objects.get(slug="automotive")], is_published=False
    )
    response = client.get(reverse("clusters:sector_detail", args=["automotive"]))
    assert response.status_code == 200
    html = response.content.decode()
    sector = Sector.objects.get(slug="automotive")
    assert sector.name_en in html and sector.name_es in html
    assert sector.is_promexico_priority and "9 priority sectors" in html
    for ecosystem in sector.ecosystems.all():
        assert ecosystem.name.replace("&", "&amp;") in html
    # Table 2's states, in the table's order.
    positions = [html.index(f'href="/states/{s.state.code}/"') for s in sector.strongholds.all()]
    assert len(positions) == 6 and positions == sorted(positions)
    facts = SectorFact.objects.filter(sector=sector)
    assert facts.count() > 0
    for fact in facts:
        assert fact.source in html
    clusters = response.context["clusters"]
    assert [c.name for c in clusters] == list(
        Cluster.objects.published().filter(sectors=sector).values_list("name", flat=True)
    )
    assert "Unpublished auto" not in html


def test_sector_page_in_spanish_uses_the_spanish_name(client, briefing):
    client.cookies["django_language"] = "es"
    response = client.get(reverse("clusters:sector_detail", args=["automotive"]))
    assert "<h1>Automotriz</h1>" in response.content.decode()
    assert '<html lang="es">' in response.content.decode()


def test_sector_index_counts_published_clusters(client, django_assert_num_queries, briefing):
    ict = Sector.objects.get(slug="ict")
    make_cluster(name="Unpublished ICT", sectors=[ict], is_published=False)
    with django_assert_num_queries(2):
        # 1. sectors with their count of published clusters; 2. their ecosystems (prefetch)
        response = client.get(reverse("clusters:sector_list"))
    counts = {s.slug: s.published_cluster_count for s in response.context["sectors"]}
    assert counts["ict"] == Cluster.objects.published().filter(sectors=ict).count()
    assert len(counts) == Sector.objects.count()


def test_unknown_sector_is_404(client, db):
    assert client.get(reverse("clusters:sector_detail", args=["nope"])).status_code == 404


def test_programmes_page_lists_table_5(client, briefing):
    response = client.get(reverse("clusters:programme_list"))
    html = response.content.decode()
    for programme in Programme.objects.all():
        assert programme.name in html
    # A web address the briefing gives without a scheme is shown, not linked.
    assert "www.procei.mx/Paginas/default.aspx" in html
    assert 'href="www.procei.mx' not in html


# --- Map and chart ---------------------------------------------------------------------------

SHAPE = re.compile(
    r'<a href="(?P<href>[^"]+)" aria-label="(?P<label>[^"]+)">\s*'
    r'<path class="state" id="map-(?P<code>MX-[A-Z]{3})" data-code="(?P=code)" '
    r'data-count="(?P<count>\d+)" fill="(?P<fill>#[0-9a-f]{6})" d="[^"]+">'
    r"<title>(?P<title>[^<]+)</title></path>"
)


def test_vendored_map_ids_map_onto_the_32_iso_codes(db, briefing):
    view_box, shapes = map_outline()
    assert view_box == "0 0 793 498"
    codes = [shape.code for shape in shapes]
    assert len(codes) == 32 == len(set(codes))
    assert set(codes) == set(State.objects.values_list("code", flat=True))
    assert set(MAP_ID_TO_ISO.values()) == set(codes)
    assert (MAP_DATA.parent / "LICENSE").read_text().find("Attribution 4.0 International") > 0


def test_map_page_draws_32_states_with_counts(client, django_assert_num_queries, briefing):
    make_cluster(name="Unpublished NL", state=State.objects.get(code="MX-NLE"), is_published=False)
    with django_assert_num_queries(4):
        # 1. states with published counts; 2. sectors with published counts (chart);
        # 3. total and stateless published clusters; 4. published clusters without sector
        response = client.get(reverse("clusters:map"))
    assert response.status_code == 200
    html = response.content.decode()
    shapes = {m["code"]: m for m in SHAPE.finditer(html)}
    assert len(shapes) == 32
    expected = {
        state.code: state.clusters.filter(is_published=True).count()
        for state in State.objects.all()
    }
    assert {code: int(m["count"]) for code, m in shapes.items()} == expected
    nle = shapes["MX-NLE"]
    assert int(nle["count"]) >= 12  # Table 3's 12 formally organised clusters, at least
    assert nle["href"] == "/states/MX-NLE/"
    assert nle["title"] == f"Nuevo León: {expected['MX-NLE']} clusters"
    assert nle["fill"] == fill_for(expected["MX-NLE"])
    assert shapes["MX-BCS"]["fill"] == fill_for(0) != fill_for(1)
    assert shapes["MX-CAM"]["title"] == "Campeche: 1 cluster"
    # Legend, table alternative and attribution.
    assert html.count('class="swatch"') == 6
    assert "Published clusters by state" in html
    assert "@svg-maps/mexico" in html and "CC BY 4.0" in html
    # The 7 clusters without a state are said, not drawn.
    without_state = Cluster.objects.published().filter(state=None).count()
    assert f"{without_state} clusters</a> are not on the map" in html


def test_sector_chart_counts_published_clusters(client, briefing):
    ict = Sector.objects.get(slug="ict")
    make_cluster(name="Unpublished ICT", sectors=[ict], is_published=False)
    response = client.get(reverse("clusters:map"))
    bars = {bar["sector"].slug: bar for bar in response.context["sector_bars"]}
    assert bars["ict"]["count"] == Cluster.objects.published().filter(sectors=ict).count()
    assert bars["ict"]["width"] == "100.0"  # the largest sector
    assert "pharmaceutical" not in bars  # no published cluster: no bar
    assert all(bar["count"] > 0 for bar in bars.values())


def test_map_hides_unpublished_clusters_everywhere(client, db):
    # The map draws all 32 states: create them, then one unpublished cluster.
    for location_id, code in MAP_ID_TO_ISO.items():
        make_state(code, f"State {location_id}")
    nle = State.objects.get(code="MX-NLE")
    make_cluster(name="Draft", state=nle, sectors=[make_sector()], is_published=False)
    response = client.get(reverse("clusters:map"))
    html = response.content.decode()
    assert 'data-code="MX-NLE" data-count="0"' in html
    assert response.context["sector_bars"] == []
    assert response.context["total"] == 0


# --- The base template -------------------------------------------------------------------------


def test_base_template_is_accessible_and_cites_the_source(client, db):
    html = client.get(reverse("clusters:cluster_list")).content.decode()
    assert '<html lang="en">' in html
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    for name in ["cluster_list", "map", "sector_list", "state_list", "programme_list"]:
        assert f'href="{reverse(f"clusters:{name}")}"' in html
    assert 'aria-current="page"' in html
    assert "Data: ECCP D3.2 Preparatory Briefing on Mexico (Dec 2016, v1.1 Oct 2017)" in html
    assert "/static/clusters/site.css" in html
    assert "http://" not in html.split("<body")[0]  # nothing loaded from another host
