"""Managers keep their cluster's profile current: scoping, the edit page, provenance on the
cluster's page, history and revert, the logo, "still accurate", reminders, My clusters."""

import datetime

import pytest
from django.core import mail
from django.urls import URLPattern, reverse
from django.utils import timezone

from clusters import history
from clusters import urls as cluster_urls
from clusters.models import Claim, Cluster, ClusterRevision
from clusters.tasks import remind_managers_of_stale_profiles
from tests.factories import image_upload, make_claim, make_cluster, make_user

pytestmark = pytest.mark.django_db

BRIEFING_TEXT = "Founded by the automotive industry of Nuevo León."


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def claim(db):
    cluster = make_cluster(
        name="Clúster Automotriz", description=BRIEFING_TEXT, website="http://claut.com.mx"
    )
    return make_claim(cluster, language="es")


def edit_data(**fields) -> dict:
    return {
        "provided_description_es": "Somos el clúster automotriz de Nuevo León.",
        "provided_description_en": "",
        "provided_offers": "Proveedores de autopartes.",
        "provided_seeks": "Socios europeos en electromovilidad.",
        "provided_members": "120",
        "provided_companies": "95",
        "provided_figures_year": "2026",
        "provided_website": "https://www.claut.com.mx/",
        "provided_contact": "contacto@claut.com.mx",
    } | fields


# --- Scoping: the guard for every manager URL ------------------------------------------------

# (URL name, method, data): every URL of clusters.urls that only a cluster's managers reach.
MANAGER_ONLY = [
    ("cluster_edit", "get", None),
    ("cluster_edit", "post", edit_data()),
    ("still_accurate", "post", {}),
]
# URLs of clusters.urls taking a slug, pk or token that anyone may open (public pages, the
# claim form, the signed link) or that are scoped otherwise (claim_sent: the person's own).
OPEN_TO_ALL = {
    "cluster_detail", "state_detail", "sector_detail", "api_cluster_detail", "api_not_found",
    "claim_new", "verify_claim", "claim_sent",
}  # fmt: skip


def test_every_clusters_url_with_a_parameter_is_classified():
    """A new URL with a parameter in clusters.urls fails here until it is listed above."""
    names = {
        pattern.name
        for pattern in cluster_urls.urlpatterns
        if isinstance(pattern, URLPattern) and pattern.pattern.regex.groupindex
    }
    assert names == OPEN_TO_ALL | {name for name, _m, _d in MANAGER_ONLY}


def request(client, name, method, data, slug):
    url = reverse(f"clusters:{name}", args=[slug])
    return client.post(url, data) if method == "post" else client.get(url)


def assert_unchanged(cluster: Cluster) -> None:
    cluster.refresh_from_db()
    assert cluster.provided_description_es == "" and cluster.last_verified is None
    assert not cluster.revisions.exists()


@pytest.mark.parametrize(("name", "method", "data"), MANAGER_ONLY)
@pytest.mark.parametrize("who", ["stranger", "pending", "other_manager", "revoked"])
def test_only_the_clusters_managers_reach_its_pages(client, claim, name, method, data, who):
    cluster = claim.cluster
    person = make_user()
    if who == "pending":
        make_claim(cluster, person, status=Claim.Status.PENDING)
    elif who == "other_manager":
        make_claim(user=person)  # manages another cluster
    elif who == "revoked":
        make_claim(cluster, person, status=Claim.Status.REVOKED)
    client.force_login(person)
    assert request(client, name, method, data, cluster.slug).status_code == 404
    assert_unchanged(cluster)


@pytest.mark.parametrize(("name", "method", "data"), MANAGER_ONLY)
def test_anonymous_visitors_log_in_first(client, claim, name, method, data):
    response = request(client, name, method, data, claim.cluster.slug)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert_unchanged(claim.cluster)


def test_missing_clusters_are_404(client, claim):
    client.force_login(claim.user)
    assert request(client, "cluster_edit", "get", None, "no-such-cluster").status_code == 404


def test_still_accurate_is_post_only(client, claim):
    client.force_login(claim.user)
    response = client.get(reverse("clusters:still_accurate", args=[claim.cluster.slug]))
    assert response.status_code == 405
    assert_unchanged(claim.cluster)


def test_another_persons_claim_page_is_404(client, claim):
    client.force_login(make_user())
    assert client.get(reverse("clusters:claim_sent", args=[claim.pk])).status_code == 404


# --- Editing and provenance ------------------------------------------------------------------


def test_a_manager_edits_in_spanish_and_the_page_shows_both_sources(client, claim):
    cluster = claim.cluster
    client.force_login(claim.user)
    url = reverse("clusters:cluster_edit", args=[cluster.slug])

    response = client.post(url, edit_data(), HTTP_ACCEPT_LANGUAGE="es-MX")

    assert response.status_code == 302 and response.url == cluster.get_absolute_url()
    cluster.refresh_from_db()
    today = timezone.localdate().isoformat()
    assert cluster.provided_description_es == "Somos el clúster automotriz de Nuevo León."
    assert cluster.provided_members == 120 and cluster.provided_figures_year == 2026
    assert cluster.description == BRIEFING_TEXT  # the briefing's own text is kept
    assert cluster.website == "http://claut.com.mx"
    assert cluster.provided_on["provided_offers"] == today
    assert "provided_description_en" not in cluster.provided_on  # left empty: not provided
    revision = cluster.revisions.get(action=ClusterRevision.Action.MANAGER)
    assert revision.user == claim.user
    assert revision.changes["provided_members"] == [None, 120]

    page = client.get(cluster.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="es-MX").content.decode()
    assert "Somos el clúster automotriz de Nuevo León." in page
    assert BRIEFING_TEXT in page
    assert "Proporcionado por el clúster el" in page
    assert "Del informe preparatorio (dic. 2016)" in page
    assert "Socios europeos en electromovilidad." in page and "contacto@claut.com.mx" in page


def test_provenance_in_english_for_a_visitor(client, claim):
    cluster = claim.cluster
    Cluster.objects.filter(pk=cluster.pk).update(
        provided_offers="Suppliers.", provided_on={"provided_offers": "2026-11-30"}
    )
    page = client.get(cluster.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Provided by the cluster on Nov. 30, 2026" in page
    assert "From the briefing (Dec 2016)" in page  # the briefing's description
    assert "Manage this profile" in page and "Edit this profile" not in page


def test_the_manager_sees_an_edit_link_on_the_page(client, claim):
    client.force_login(claim.user)
    page = client.get(claim.cluster.get_absolute_url()).content.decode()
    assert reverse("clusters:cluster_edit", args=[claim.cluster.slug]) in page


def test_figures_need_their_year(client, claim):
    client.force_login(claim.user)
    url = reverse("clusters:cluster_edit", args=[claim.cluster.slug])
    response = client.post(url, edit_data(provided_figures_year=""))
    assert response.status_code == 200
    assert "provided_figures_year" in response.context["form"].errors
    assert_unchanged(claim.cluster)


def test_staff_revert_a_managers_edit(client, claim, staff_user):
    cluster = claim.cluster
    client.force_login(claim.user)
    client.post(reverse("clusters:cluster_edit", args=[cluster.slug]), edit_data())

    history.revert(cluster.revisions.get(action=ClusterRevision.Action.BASELINE), user=staff_user)

    cluster.refresh_from_db()
    assert cluster.provided_description_es == "" and cluster.provided_members is None
    assert cluster.provided_on == {}
    assert cluster.description == BRIEFING_TEXT
    page = client.get(cluster.get_absolute_url()).content.decode()
    assert "Provided by the cluster" not in page


def test_an_unchanged_form_records_nothing(client, claim):
    client.force_login(claim.user)
    url = reverse("clusters:cluster_edit", args=[claim.cluster.slug])
    client.post(url, edit_data())
    client.post(url, edit_data())
    assert claim.cluster.revisions.filter(action=ClusterRevision.Action.MANAGER).count() == 1


def test_editing_updates_the_managers_email_language(client, claim):
    client.force_login(claim.user)
    url = reverse("clusters:cluster_edit", args=[claim.cluster.slug])
    client.post(url, edit_data(), HTTP_ACCEPT_LANGUAGE="en")
    claim.refresh_from_db()
    assert claim.language == "en"


# --- The logo --------------------------------------------------------------------------------


def test_a_logo_is_stored_and_shown(client, claim):
    client.force_login(claim.user)
    url = reverse("clusters:cluster_edit", args=[claim.cluster.slug])
    client.post(url, edit_data(logo_file=image_upload("Mi logo.PNG")))
    cluster = Cluster.objects.get(pk=claim.cluster_id)
    assert cluster.logo.name.startswith("cluster-logos/") and cluster.logo.name.endswith(".png")
    assert cluster.logo.storage.exists(cluster.logo.name)
    assert cluster.provided_on["logo"] == timezone.localdate().isoformat()
    page = client.get(cluster.get_absolute_url()).content.decode()
    assert cluster.logo.url in page
    served = client.get(cluster.logo.url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: image_upload("logo.gif", "GIF"), "PNG, JPEG or WebP"),
        (lambda: image_upload_text(), "PNG, JPEG or WebP"),
        (lambda: image_upload("big.png", size=(1200, 1200)), "too large"),
    ],
)
def test_a_bad_logo_is_refused_with_a_clear_error(client, claim, settings, upload, message):
    settings.LOGO_MAX_BYTES = 3000
    client.force_login(claim.user)
    url = reverse("clusters:cluster_edit", args=[claim.cluster.slug])
    response = client.post(url, edit_data(logo_file=upload()))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["logo_file"])
    assert_unchanged(claim.cluster)


def image_upload_text():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png")


# --- Still accurate, reminders, My clusters --------------------------------------------------


def test_still_accurate_sets_the_date_in_the_history(client, claim):
    client.force_login(claim.user)
    response = client.post(reverse("clusters:still_accurate", args=[claim.cluster.slug]))
    assert response.status_code == 302
    cluster = Cluster.objects.get(pk=claim.cluster_id)
    assert cluster.last_verified == timezone.localdate()
    revision = cluster.revisions.get(action=ClusterRevision.Action.MANAGER)
    assert revision.user == claim.user and "last_verified" in revision.changes


def test_stale_profiles_are_sent_to_their_managers_in_their_language(claim):
    fresh = make_claim(language="en")
    Cluster.objects.filter(pk=fresh.cluster_id).update(last_verified=timezone.localdate())
    Cluster.objects.filter(pk=claim.cluster_id).update(
        last_verified=timezone.localdate() - datetime.timedelta(days=400)
    )
    make_claim(claim.cluster, status=Claim.Status.REVOKED)  # no longer a manager
    make_claim(claim.cluster, status=Claim.Status.PENDING)  # not yet one

    assert remind_managers_of_stale_profiles() == 1

    [message] = mail.outbox
    assert message.to == [claim.work_email]
    assert "¿Sigue siendo correcto" in message.subject
    assert claim.cluster.name in message.body
    assert reverse("clusters:my_clusters") in message.body


def test_my_clusters_lists_the_managed_clusters_in_constant_queries(
    client, claim, django_assert_num_queries
):
    client.force_login(claim.user)
    make_claim(user=claim.user, status=Claim.Status.PENDING)
    url = reverse("clusters:my_clusters")
    client.get(url)
    # Session, user, the claims with their clusters and states, the navigation's "manages"
    # and its count of introductions waiting for an answer.
    with django_assert_num_queries(5):
        page = client.get(url).content.decode()
    for _ in range(3):
        make_claim(user=claim.user)
    with django_assert_num_queries(5):
        client.get(url)
    assert claim.cluster.name in page
    assert reverse("clusters:cluster_edit", args=[claim.cluster.slug]) in page


def test_the_navigation_shows_my_clusters_to_managers_only(client, claim):
    url = reverse("clusters:my_clusters")
    client.force_login(make_user())
    assert url not in client.get(reverse("clusters:sector_list")).content.decode()
    client.force_login(claim.user)
    assert url in client.get(reverse("clusters:sector_list")).content.decode()


# --- My data ---------------------------------------------------------------------------------


def test_a_manager_exports_and_deletes_their_data(client, claim):
    client.force_login(claim.user)
    assert client.get(reverse("matchmaking:my_data")).status_code == 200
    data = client.get(reverse("matchmaking:export_data")).json()
    [exported] = data["cluster_claims"]
    assert exported["work_email"] == claim.work_email
    assert exported["cluster"]["slug"] == claim.cluster.slug
    assert "organisation" not in data

    response = client.post(
        reverse("matchmaking:delete_account"), {"password": "a-long-enough-passphrase"}
    )

    assert response.status_code == 302
    assert not Claim.objects.exists()
    assert Cluster.objects.filter(pk=claim.cluster_id).exists()


def test_a_manager_landing_on_the_dashboard_goes_to_my_clusters(client, claim):
    """Log-in leads to the dashboard, which is for European organisations."""
    client.force_login(claim.user)
    response = client.get(reverse("matchmaking:dashboard"))
    assert response.status_code == 302 and response.url == reverse("clusters:my_clusters")
    client.force_login(make_user())  # neither an organisation nor a claimant: the 403 page
    assert client.get(reverse("matchmaking:dashboard")).status_code == 403
