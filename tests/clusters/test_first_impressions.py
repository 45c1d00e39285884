"""The landing page, the data notes, and facts said as the briefing dates and words them."""

import html
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from clusters.models import Cluster, EnergyProjection, QualityLabel


def text_of(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


# --- The landing page ----------------------------------------------------------------------


def test_home_says_what_the_site_does_for_both_sides(client, briefing, django_assert_num_queries):
    with django_assert_num_queries(2):
        # 1. published clusters; 2. of them, those Table 3 lists
        response = client.get(reverse("clusters:home"))
    text = text_of(response)
    assert (
        "<title>EU–Mexico cluster matchmaking: find partners among Mexico's clusters</title>"
        in (text)
    )
    assert '<meta name="description" content="' in text
    assert "For European organisations" in text and "For Mexican clusters" in text
    assert f'href="{reverse("matchmaking:match_preview")}">See who you would match' in text
    assert f'href="{reverse("matchmaking:signup")}">or sign up' in text
    # The cluster side's call to action leads to the directory, where a cluster finds itself.
    assert f'href="{reverse("clusters:cluster_list")}">Find and claim your cluster' in text
    assert f'action="{reverse("clusters:cluster_list")}"' in text
    assert "87 Mexican clusters" in text and "74 formally organised clusters" in text


def test_home_in_spanish(briefing):
    text = text_of(Client(HTTP_ACCEPT_LANGUAGE="es").get(reverse("clusters:home")))
    assert '<html lang="es">' in text
    assert "Encuentre y reclame su clúster" in text
    assert "Para organizaciones europeas" in text


def test_favicon_is_linked_and_served(client, db):
    text = text_of(client.get(reverse("clusters:home")))
    assert 'rel="icon" href="/static/clusters/favicon.svg"' in text
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/clusters/favicon.svg"


def test_missing_page_is_styled_and_a_server_error_page_exists(client, db, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "site.css" in text and "Page not found" in text
    broken = Client(raise_request_exception=False)
    from django.views.defaults import server_error

    response = server_error(broken.request().wsgi_request)
    assert response.status_code == 500
    assert b"site.css" in response.content and b"Something went wrong" in response.content


# --- Dated and hedged facts ----------------------------------------------------------------


def test_rounded_figures_keep_their_words_on_the_page_and_in_the_api(client, briefing):
    for slug, words in [
        ("automotive-cluster-chihuahua", "more than</span> 120"),
        ("chihuahua-s-aerospace-cluster", "almost</span> 40"),
        ("aerospace-alliance-of-baja-california-a-c", "about</span> 76"),
    ]:
        cluster = Cluster.objects.get(slug=slug)
        assert words in text_of(client.get(cluster.get_absolute_url()))
    api = client.get(reverse("clusters:api_cluster_detail", args=["automotive-cluster-chihuahua"]))
    body = api.json()
    assert (body["members"], body["members_qualifier"]) == (120, "more_than")
    assert (body["companies"], body["companies_qualifier"]) == (None, None)
    assert body["website_kind"] == "brochure"
    spanish = Client(HTTP_ACCEPT_LANGUAGE="es").get(
        Cluster.objects.get(slug="chihuahua-s-aerospace-cluster").get_absolute_url()
    )
    assert "casi</span> 40" in text_of(spanish)


def test_websites_that_are_not_the_clusters_home_page_say_so(client, briefing):
    brochure = text_of(
        client.get(reverse("clusters:cluster_detail", args=["automotive-cluster-chihuahua"]))
    )
    assert (
        "The briefing gives this address, but it is a brochure, not the cluster's home page."
        in (brochure)
    )
    unrelated = text_of(
        client.get(
            reverse(
                "clusters:cluster_detail", args=["cluster-integradores-de-alta-tecnologia-jalisco"]
            )
        )
    )
    assert "but it is a page unrelated to the cluster." in unrelated
    own_site = text_of(
        client.get(reverse("clusters:cluster_detail", args=["cluster-automotriz-de-nuevo-leon"]))
    )
    assert "The briefing gives this address" not in own_site


def test_labels_are_valid_or_lapsed_at_the_briefings_date(client, briefing):
    claut = text_of(
        client.get(reverse("clusters:cluster_detail", args=["cluster-automotriz-de-nuevo-leon"]))
    )
    assert "lapsed: not valid at the briefing's date (Dec 2016)" in claut
    baja = text_of(
        client.get(
            reverse("clusters:cluster_detail", args=["aerospace-alliance-of-baja-california-a-c"])
        )
    )
    assert 'Bronze <span class="as-of">(valid at the briefing\'s date (Dec 2016))' in baja
    label = client.get(
        reverse("clusters:api_cluster_detail", args=["aerospace-alliance-of-baja-california-a-c"])
    ).json()["labels"][0]
    assert (label["valid"], label["valid_as_of"]) == (True, "2016-12")


def test_records_from_other_parts_of_the_briefing_are_not_listed_in_table_3(client, briefing):
    text = text_of(client.get(reverse("clusters:cluster_detail", args=["it-baja"])))
    assert "Not listed in Table 3" in text
    assert "Formally organised</dt>\n    <dd>No<" not in text
    directory = text_of(client.get(reverse("clusters:cluster_list"), {"q": "IT@Baja"}))
    assert "Not listed in Table 3" in directory


def test_states_page_counts_table_3_apart_from_the_other_records(client, briefing):
    response = client.get(reverse("clusters:state_list"))
    states = {state.code: state for state in response.context["states"]}
    # Table 3's "Number of clusters" column, and the two Jalisco clusters of Table 4.
    assert (states["MX-QUE"].table3_cluster_count, states["MX-QUE"].other_cluster_count) == (4, 0)
    assert (states["MX-JAL"].table3_cluster_count, states["MX-JAL"].other_cluster_count) == (6, 2)
    assert response.context["table3_total"] == 74
    assert 'data-label="Table 3" class="num">74<' in text_of(response)


# --- Table 1 and the data notes ------------------------------------------------------------


def test_table_1_is_stored_as_printed_and_shown_with_its_column_sum(client, briefing):
    total = EnergyProjection.objects.get(is_total=True)
    assert (total.mw_2018, total.mw_2024, total.mw_2028) == (9761, 16322, 197611)
    text = text_of(client.get(reverse("clusters:sector_detail", args=["renewable-energy"])))
    assert "Projected additional capacity (Table 1)" in text
    assert 'class="num disagrees">197611<' in text
    assert "while its column adds up to 19,761 MW" in text
    # The other columns agree with their totals: no sum row is needed for them alone.
    assert text.count("disagrees") == 1
    # Only the renewable-energy sector shows it.
    assert "Table 1" not in text_of(
        client.get(reverse("clusters:sector_detail", args=["aerospace"]))
    )


def test_loading_twice_keeps_one_table_1(briefing):
    call_command("load_briefing", verbosity=0)
    assert EnergyProjection.objects.count() == 7
    assert EnergyProjection.objects.filter(is_total=True).count() == 1


@pytest.mark.parametrize("language", ["en", "es"])
def test_data_notes_are_linked_from_every_page_and_list_the_slips(briefing, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    notes_url = reverse("clusters:data_notes")
    assert f'href="{notes_url}"' in text_of(client.get(reverse("clusters:cluster_list")))
    text = text_of(client.get(notes_url))
    assert "197611" in text  # Table 1's total as printed, beside its column's sum
    assert re.search(r"19[,\s]761", text)  # "19,761" in English, "19 761" in Spanish
    # Table 2: the row after the page break, attached to biotechnology.
    for state in ("Nuevo León", "Querétaro", "Baja California", "Guanajuato", "México"):
        assert state in text
    # Section 4.1's four gold labels against Table 4's: CLAUT's lapsed gold label is listed.
    assert QualityLabel.objects.filter(level="gold", is_valid=True).count() == 0
    assert "Cluster Automotriz de Nuevo León" in text
    # Table 3's row without a sector.
    assert "Cluster de Transporte y Logística" in text
    if language == "es":
        assert "Notas sobre los datos" in text
