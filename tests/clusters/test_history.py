"""History of cluster profiles: who changed what and when, shown and revertible in the admin."""

import io

import pytest
from django.urls import reverse
from django.utils import timezone

from clusters.history import RevertError, record_changes, revert
from clusters.models import Cluster, ClusterName, ClusterRevision, QualityLabel, Sector
from clusters.profile import snapshots
from clusters.transfer import read_table, run_import
from tests.clusters.test_admin import change_form_data, change_url

CLAUGTO = "cluster-automotriz-de-guanajuato"


def history_url(cluster):
    return reverse("admin:clusters_cluster_history", args=[cluster.pk])


def revert_url(revision):
    return reverse("admin:clusters_cluster_revert", args=[revision.cluster_id, revision.pk])


def test_admin_edit_records_who_when_and_what(briefing, staff_client, staff_user):
    cluster = Cluster.objects.get(slug=CLAUGTO)
    original = snapshots([cluster.pk])[cluster.pk]
    start = timezone.now()
    sectors = [
        *cluster.sectors.values_list("pk", flat=True),
        Sector.objects.get(slug="logistics").pk,
    ]
    data = change_form_data(cluster, members=300, sectors=sectors)

    assert staff_client.post(change_url(cluster), data).status_code == 302

    edit, baseline = cluster.revisions.all()
    assert (baseline.action, baseline.snapshot, baseline.user) == ("baseline", original, None)
    assert (edit.action, edit.user) == ("edit", staff_user)
    assert edit.at >= start
    assert edit.changes == {
        "members": [None, 300],
        "sectors": [["automotive"], ["automotive", "logistics"]],
    }
    page = staff_client.get(history_url(cluster)).content.decode()
    assert "curator" in page and "<dt>Members</dt>" in page and "automotive, logistics" in page
    assert "Revert to this version" in page


def test_saving_without_changes_records_nothing(briefing, staff_client):
    cluster = Cluster.objects.get(slug=CLAUGTO)
    staff_client.post(change_url(cluster), change_form_data(cluster))
    assert not cluster.revisions.exists()


def test_admin_actions_record_revisions(briefing, staff_client, staff_user):
    cluster = Cluster.objects.get(slug=CLAUGTO)
    url = reverse("admin:clusters_cluster_changelist")
    staff_client.post(url, {"action": "unpublish", "_selected_action": [cluster.pk]})
    staff_client.post(url, {"action": "mark_verified_today", "_selected_action": [cluster.pk]})
    verified, unpublished, _baseline = cluster.revisions.all()
    assert unpublished.changes == {"is_published": [True, False]}
    assert unpublished.comment == "Unpublished" and unpublished.user == staff_user
    assert verified.changes == {"last_verified": [None, timezone.localdate().isoformat()]}


def test_import_records_a_revision_per_changed_cluster(briefing, staff_user):
    data = f"slug,name,members\n{CLAUGTO},Cluster Automotriz de Guanajuato,41\n".encode()
    run_import(read_table(data), user=staff_user, comment="File x.csv")
    [imported, _baseline] = Cluster.objects.get(slug=CLAUGTO).revisions.all()
    assert (imported.action, imported.user, imported.comment) == (
        "import",
        staff_user,
        "File x.csv",
    )
    assert imported.changes == {"members": [None, 41]}


def test_revert_restores_fields_sectors_names_and_labels(
    briefing, staff_client, staff_user, changed_ids
):
    cluster = Cluster.objects.get(slug="cluster-automotriz-de-nuevo-leon")
    original = snapshots([cluster.pk])[cluster.pk]
    before = dict(original)
    cluster.name, cluster.members, cluster.website = "CLAUT renamed", 1, ""
    cluster.save()
    cluster.sectors.set([Sector.objects.get(slug="logistics")])
    cluster.other_names.all().delete()
    ClusterName.objects.create(cluster=cluster, name="Brand new name", source="x")
    cluster.labels.update(is_valid=True)
    QualityLabel.objects.create(cluster=cluster, level="silver", source="x")
    record_changes({cluster.pk: before}, user=staff_user, action=ClusterRevision.Action.EDIT)
    baseline = cluster.revisions.get(action="baseline")

    response = staff_client.post(revert_url(baseline), follow=True)

    assert "Restored the version of" in response.content.decode()
    cluster.refresh_from_db()
    assert snapshots([cluster.pk])[cluster.pk] == original
    assert cluster.is_curated
    assert "nuevo leon auto cluster" in cluster.search_text
    latest = cluster.revisions.first()
    assert (latest.action, latest.user) == ("revert", staff_user)
    assert latest.changes["name"] == ["CLAUT renamed", "Cluster Automotriz de Nuevo León"]
    assert changed_ids == [cluster.pk]


def test_revert_that_would_clash_changes_nothing(briefing, staff_user):
    cluster = Cluster.objects.get(slug=CLAUGTO)
    before = snapshots([cluster.pk])[cluster.pk]
    cluster.name = "Renamed"
    cluster.save()
    record_changes({cluster.pk: before}, user=staff_user, action=ClusterRevision.Action.EDIT)
    # Another Guanajuato cluster takes the old name meanwhile.
    Cluster.objects.filter(slug="cluster-de-vivienda-guanajuato").update(name=before["name"])
    with pytest.raises(RevertError, match="already exists in this state"):
        revert(cluster.revisions.get(action="baseline"), user=staff_user)
    assert Cluster.objects.get(pk=cluster.pk).name == "Renamed"
    assert cluster.revisions.count() == 2


def test_revert_is_post_only_and_staff_only(briefing, client, staff_client, django_user_model):
    cluster = Cluster.objects.get(slug=CLAUGTO)
    staff_client.post(change_url(cluster), change_form_data(cluster, members=5))
    baseline = cluster.revisions.get(action="baseline")
    assert staff_client.get(revert_url(baseline)).status_code == 405

    client.force_login(django_user_model.objects.create_user("u", "u@example.eu", "pw-1234-x"))
    response = client.post(revert_url(baseline))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert Cluster.objects.get(pk=cluster.pk).members == 5


def test_revert_needs_a_csrf_token(briefing, staff_user):
    from django.test import Client

    cluster = Cluster.objects.get(slug=CLAUGTO)
    before = snapshots([cluster.pk])[cluster.pk]
    Cluster.objects.filter(pk=cluster.pk).update(members=7)
    record_changes({cluster.pk: before}, user=staff_user, action=ClusterRevision.Action.EDIT)
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(staff_user)
    response = csrf_client.post(revert_url(cluster.revisions.get(action="baseline")))
    assert response.status_code == 403
    assert Cluster.objects.get(pk=cluster.pk).members == 7


def test_history_page_lists_an_import_upload(briefing, staff_client):
    upload = io.BytesIO(
        f"slug,name,acronym\n{CLAUGTO},Cluster Automotriz de Guanajuato,CAG\n".encode()
    )
    upload.name = "x.csv"
    response = staff_client.post(reverse("admin:clusters_cluster_import"), {"file": upload})
    staff_client.post(reverse("admin:clusters_cluster_import_confirm"),
                      {"digest": response.context["digest"]})  # fmt: skip
    page = staff_client.get(history_url(Cluster.objects.get(slug=CLAUGTO))).content.decode()
    assert "Imported" in page and "File x.csv" in page and "CAG" in page


def test_adding_a_cluster_in_the_admin_records_its_creation(briefing, staff_client, staff_user):
    data = {
        "name": "Nuevo Clúster", "slug": "nuevo-cluster", "source": "Staff", "is_published": "on",
        "sectors": [Sector.objects.get(slug="ict").pk],
        **{f"{prefix}-{key}": value for prefix in ("other_names", "labels")
           for key, value in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0))},
    }  # fmt: skip
    response = staff_client.post(reverse("admin:clusters_cluster_add"), data)
    assert response.status_code == 302
    [created] = Cluster.objects.get(slug="nuevo-cluster").revisions.all()
    assert (created.action, created.user, created.changes) == ("create", staff_user, {})
    assert created.snapshot["sectors"] == ["ict"]


def test_history_names_fields_by_their_labels(briefing, staff_client):
    cluster = Cluster.objects.get(slug=CLAUGTO)
    staff_client.post(
        change_url(cluster), change_form_data(cluster, acronym="CAG", is_formally_organised="")
    )
    page = staff_client.get(history_url(cluster)).content.decode()
    assert "<dt>Acronym</dt>" in page and "<dt>Formally organised</dt>" in page
    assert "<dt>is_formally_organised</dt>" not in page
