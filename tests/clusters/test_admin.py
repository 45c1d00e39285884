"""Admin curation: list, search, actions, and bad edits that get form errors, not 500s."""

import pytest
from django.urls import reverse
from django.utils import timezone

from clusters.models import Cluster, State


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("staff", "staff@example.eu", "pw-staff-123")
    client.force_login(user)
    return client


def change_form_data(cluster: Cluster, **overrides) -> dict:
    data = {
        "name": cluster.name, "acronym": cluster.acronym, "slug": cluster.slug,
        "state": cluster.state_id or "", "sectors": [s.pk for s in cluster.sectors.all()],
        "sector_label": cluster.sector_label, "website": cluster.website,
        "description": cluster.description, "members": cluster.members or "",
        "companies": cluster.companies or "", "founded_year": cluster.founded_year or "",
        "exports_usd_millions": cluster.exports_usd_millions or "",
        "figures_note": cluster.figures_note, "source": cluster.source,
        "website_kind": cluster.website_kind, "members_qualifier": cluster.members_qualifier,
        "companies_qualifier": cluster.companies_qualifier,
        "last_verified": "", "is_published": "on",
        "is_formally_organised": "on" if cluster.is_formally_organised else "",
    }  # fmt: skip
    for prefix, rows in (
        ("other_names", cluster.other_names.all()),
        ("labels", cluster.labels.all()),
    ):
        data |= {
            f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": len(rows),
            f"{prefix}-MIN_NUM_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 1000,
        }  # fmt: skip
        for i, row in enumerate(rows):
            data[f"{prefix}-{i}-id"] = row.pk
            data[f"{prefix}-{i}-cluster"] = cluster.pk
            if prefix == "other_names":
                data |= {f"{prefix}-{i}-name": row.name, f"{prefix}-{i}-source": row.source}
            else:
                data |= {
                    f"{prefix}-{i}-level": row.level,
                    f"{prefix}-{i}-is_valid": "on" if row.is_valid else "",
                    f"{prefix}-{i}-validity_note": row.validity_note,
                    f"{prefix}-{i}-listed_name": row.listed_name,
                    f"{prefix}-{i}-sector_label": row.sector_label,
                    f"{prefix}-{i}-source": row.source,
                }
    return {key: value for key, value in (data | overrides).items() if value is not None}


def change_url(cluster):
    return reverse("admin:clusters_cluster_change", args=[cluster.pk])


def test_change_list_searches_every_name_and_filters(briefing, staff_client):
    url = reverse("admin:clusters_cluster_changelist")
    response = staff_client.get(url, {"q": "Nuevo León Auto Cluster"})
    assert response.status_code == 200
    assert "Cluster Automotriz de Nuevo León" in response.content.decode()
    for query in ({"label": "valid"}, {"label": "lapsed"}, {"is_published__exact": "0"},
                  {"state__id__exact": State.objects.get(code="MX-NLE").pk},
                  {"last_verified__isnull": "True"}):  # fmt: skip
        assert staff_client.get(url, query).status_code == 200


def test_change_list_query_count_does_not_grow_with_rows(
    briefing, staff_client, django_assert_max_num_queries
):
    url = reverse("admin:clusters_cluster_changelist")
    # session, user, count, count, page of clusters, sectors, labels, filters' choices ...
    with django_assert_max_num_queries(20):
        staff_client.get(url)


def test_valid_edit_marks_the_profile_curated(briefing, staff_client):
    cluster = Cluster.objects.get(acronym="CLAUGTO")
    response = staff_client.post(change_url(cluster), change_form_data(cluster, members=300))
    assert response.status_code == 302
    cluster.refresh_from_db()
    assert (cluster.members, cluster.is_curated) == (300, True)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"members": -5}, "greater than or equal to 0"),
        ({"website": "not a url"}, "Enter a valid URL"),
        ({"founded_year": 1066}, "between 1900 and 2100"),
        ({"name": "Cluster Automotriz de Nuevo León"}, "already exists in this state"),
        ({"name": ""}, "This field is required"),
        ({"name": "x" * 300}, "at most 200 characters"),
    ],
    ids=[
        "negative-members",
        "bad-url",
        "founding-year",
        "duplicate-name-in-state",
        "empty",
        "too-long",
    ],
)
def test_bad_edits_get_form_errors_and_change_nothing(briefing, staff_client, overrides, message):
    # Another Nuevo León cluster, so renaming it to CLAUT's name collides within the state.
    cluster = Cluster.objects.get(name="Cluster Nanotecnología Nuevo León")
    before = Cluster.objects.values().get(pk=cluster.pk)
    response = staff_client.post(change_url(cluster), change_form_data(cluster, **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Cluster.objects.values().get(pk=cluster.pk) == before


def test_duplicate_label_level_is_a_form_error(briefing, staff_client):
    cluster = Cluster.objects.get(name="Aerospace Alliance of Baja California, A.C")
    data = change_form_data(cluster)
    data |= {"labels-TOTAL_FORMS": 2, "labels-1-level": "bronze", "labels-1-source": "x",
             "labels-1-cluster": cluster.pk}  # fmt: skip
    response = staff_client.post(change_url(cluster), data)
    assert response.status_code == 200
    assert cluster.labels.count() == 1


def test_actions_publish_unpublish_and_verify(briefing, staff_client):
    url = reverse("admin:clusters_cluster_changelist")
    cluster = Cluster.objects.get(acronym="CLAUGTO")
    staff_client.post(url, {"action": "unpublish", "_selected_action": [cluster.pk]})
    cluster.refresh_from_db()
    assert not cluster.is_published and cluster.is_curated
    staff_client.post(url, {"action": "publish", "_selected_action": [cluster.pk]})
    staff_client.post(url, {"action": "mark_verified_today", "_selected_action": [cluster.pk]})
    cluster.refresh_from_db()
    assert cluster.is_published
    assert cluster.last_verified == timezone.localdate()


def test_autocomplete_for_state_and_sectors(briefing, staff_client):
    url = reverse("admin:autocomplete")
    params = {"app_label": "clusters", "model_name": "cluster"}
    states = staff_client.get(url, {**params, "field_name": "state", "term": "Quer"}).json()
    assert [r["text"] for r in states["results"]] == ["Querétaro"]
    sectors = staff_client.get(url, {**params, "field_name": "sectors", "term": "aero"}).json()
    assert "Aerospace" in [r["text"] for r in sectors["results"]]


def test_admin_is_for_staff_only(briefing, client, django_user_model):
    user = django_user_model.objects.create_user("someone", "s@example.eu", "pw-123456-x")
    client.force_login(user)
    response = client.get(reverse("admin:clusters_cluster_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
