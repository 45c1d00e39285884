"""Claiming a cluster profile: the form, the verification link, domain approval, the staff
queue (approve, reject with a reason, revoke), throttling and the emails' language."""

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from clusters import claims
from clusters.models import Claim
from tests.factories import PASSWORD, make_claim, make_cluster, make_user

pytestmark = pytest.mark.django_db

CLAUT_SITE = "http://www.claut.com.mx/"


@pytest.mark.parametrize(
    ("email", "website", "matches"),
    [
        ("ana@claut.com.mx", CLAUT_SITE, True),  # www. left out
        ("Ana@CLAUT.com.mx", "claut.com.mx", True),  # no scheme, any case
        ("ana@mx.claut.com.mx", CLAUT_SITE, True),  # a subdomain of the site's
        ("ana@notclaut.com.mx", CLAUT_SITE, False),  # a suffix is not a subdomain
        ("ana@com.mx", CLAUT_SITE, False),  # the parent domain is not the cluster's
        ("ana@gmail.com", "https://gmail.com/", False),  # free mail, never
        ("ana@hotmail.com", CLAUT_SITE, False),
        ("ana@facebook.com", "https://www.facebook.com/claut", False),  # a shared host
        ("ana@claut.com.mx", "", False),  # no website: staff decide
        ("ana@localhost", "http://localhost/", False),
    ],
)
def test_domain_matches(email, website, matches):
    assert claims.domain_matches(email, website) is matches


def claim_data(**fields) -> dict:
    return {
        "name": "Ana Pérez",
        "role": "Directora general",
        "work_email": "ana@claut.com.mx",
        "phone": "+52 81 0000 0000",
        "message": "Dirijo el clúster.",
        "consent": "on",
        "password": PASSWORD,
    } | fields


def verify_link(message) -> str:
    return re.search(r"https?://\S+/claims/verify/\S+/", message.body).group(0)


@pytest.fixture
def claut(db):
    return make_cluster(name="Cluster Automotriz de Nuevo León", website=CLAUT_SITE)


def test_a_visitor_claims_creates_an_account_and_gets_a_spanish_link(client, claut):
    url = reverse("clusters:claim_new", args=[claut.slug])
    response = client.post(url, claim_data(), HTTP_ACCEPT_LANGUAGE="es-MX")

    claim = Claim.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("clusters:claim_sent", args=[claim.pk])
    assert claim.status == Claim.Status.UNVERIFIED
    assert claim.language == "es"
    assert claim.consent_version and claim.consent_at
    user = get_user_model().objects.get(username="ana@claut.com.mx")
    assert claim.user == user and user.check_password(PASSWORD)
    assert client.session["_auth_user_id"] == str(user.pk)  # logged in on the way
    [message] = mail.outbox
    assert message.to == ["ana@claut.com.mx"]
    assert "Verifique su correo" in message.subject
    assert verify_link(message)


def test_the_claim_form_needs_consent_and_shows_errors(client, claut):
    url = reverse("clusters:claim_new", args=[claut.slug])
    response = client.post(url, claim_data(consent="", work_email="not-an-email"))
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"consent", "work_email"}
    assert not Claim.objects.exists() and not get_user_model().objects.exists()


def test_an_existing_account_must_log_in_first(client, claut):
    make_user("ana@claut.com.mx")
    response = client.post(reverse("clusters:claim_new", args=[claut.slug]), claim_data())
    assert response.status_code == 200
    assert "log in first" in response.context["form"].errors["work_email"][0]
    assert not Claim.objects.exists()


def test_a_logged_in_person_claims_without_a_password_once(client, claut):
    user = make_user("ana@claut.com.mx")
    client.force_login(user)
    url = reverse("clusters:claim_new", args=[claut.slug])
    assert "password" not in client.get(url).context["form"].fields

    assert client.post(url, claim_data(password="")).status_code == 302
    Claim.objects.update(status=Claim.Status.PENDING)  # verified, waiting for staff
    again = client.post(url, claim_data(password=""))

    assert again.status_code == 200
    assert "already have a claim" in str(again.context["form"].non_field_errors())
    assert Claim.objects.filter(user=user).count() == 1


def test_a_verified_address_on_the_clusters_domain_is_approved_at_once(
    client, claut, django_capture_on_commit_callbacks
):
    client.post(
        reverse("clusters:claim_new", args=[claut.slug]),
        claim_data(),
        HTTP_ACCEPT_LANGUAGE="es-MX",
    )
    link = verify_link(mail.outbox[0])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(link)

    claim = Claim.objects.get()
    assert response.status_code == 200
    assert claim.status == Claim.Status.APPROVED and claim.email_verified_at
    assert claut.is_managed_by(claim.user)
    [approved] = mail.outbox  # to the claimant, in Spanish; staff are not bothered
    assert approved.to == ["ana@claut.com.mx"]
    assert "Ahora administra" in approved.subject
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(link).status_code == 200  # a second click changes nothing
    assert len(mail.outbox) == 1


def test_another_domain_waits_for_staff_who_are_emailed(
    client, claut, staff_user, django_capture_on_commit_callbacks
):
    client.post(
        reverse("clusters:claim_new", args=[claut.slug]),
        claim_data(work_email="ana.perez@gmail.com"),
    )
    link = verify_link(mail.outbox[0])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        client.get(link)

    claim = Claim.objects.get()
    assert claim.status == Claim.Status.PENDING
    assert not claut.is_managed_by(claim.user)
    [to_staff] = mail.outbox
    assert to_staff.to == [staff_user.email]
    assert claut.name in to_staff.subject
    assert reverse("admin:clusters_claim_change", args=[claim.pk]) in to_staff.body


@pytest.mark.parametrize("token", ["garbage", "expired"])
def test_a_bad_or_expired_link_verifies_nothing(client, claut, settings, token):
    claim = make_claim(claut, status=Claim.Status.UNVERIFIED)
    if token == "expired":
        token = claims.verification_token(claim)
        settings.EMAIL_VERIFICATION_MAX_AGE = -1
    response = client.get(reverse("clusters:verify_claim", args=[token]))
    assert response.status_code == 400
    claim.refresh_from_db()
    assert claim.status == Claim.Status.UNVERIFIED and claim.email_verified_at is None


def test_a_link_for_another_address_is_refused(claut):
    claim = make_claim(claut, status=Claim.Status.UNVERIFIED)
    token = signing.dumps(
        {"claim": claim.pk, "email": "someone@else.mx"}, salt=claims.VERIFY_CLAIM_SALT
    )
    with pytest.raises(signing.BadSignature):
        claims.verify_claim(token, site_url="http://testserver")


def test_claims_are_throttled_per_person(client, settings):
    settings.CLAIMS_PER_DAY = 2
    client.force_login(make_user("ana@claut.com.mx"))
    clusters = [make_cluster(website=CLAUT_SITE) for _ in range(3)]
    statuses = [
        client.post(
            reverse("clusters:claim_new", args=[cluster.slug]), claim_data(password="")
        ).status_code
        for cluster in clusters
    ]
    assert statuses == [302, 302, 429]
    assert Claim.objects.count() == 2


def test_claims_are_throttled_per_address(client, settings, claut):
    settings.CLAIMS_PER_ADDRESS_PER_HOUR = 1
    url = reverse("clusters:claim_new", args=[claut.slug])
    assert client.post(url, claim_data(work_email="a@claut.com.mx")).status_code == 302
    client.logout()
    response = client.post(url, claim_data(work_email="b@claut.com.mx"))
    assert response.status_code == 429
    assert "Too many claims" in response.content.decode()
    assert Claim.objects.count() == 1


def test_an_unpublished_cluster_cannot_be_claimed(client):
    hidden = make_cluster(is_published=False)
    assert client.get(reverse("clusters:claim_new", args=[hidden.slug])).status_code == 404


# --- The staff queue -------------------------------------------------------------------------


@pytest.fixture
def admin_action(staff_client, django_capture_on_commit_callbacks):
    """Post an admin action on claims, running what it enqueued on commit (the emails)."""

    def post(action, claims_, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return staff_client.post(
                reverse("admin:clusters_claim_changelist"),
                {"action": action, ACTION_CHECKBOX_NAME: [c.pk for c in claims_], **extra},
            )

    return post


def test_the_queue_filters_by_status(staff_client, django_assert_num_queries):
    pending = [make_claim(status=Claim.Status.PENDING) for _ in range(3)]
    make_claim(status=Claim.Status.APPROVED)
    url = reverse("admin:clusters_claim_changelist")
    response = staff_client.get(url, {"status__exact": "pending"})
    assert {c.pk for c in response.context["cl"].result_list} == {c.pk for c in pending}
    staff_client.get(url)  # warm the admin's own caches
    make_claim(status=Claim.Status.PENDING)
    # Session, user, count, total count, the page with its clusters (one join), the
    # filters' sectors and states.
    with django_assert_num_queries(7):
        staff_client.get(url)


def test_staff_approve_a_pending_claim_and_the_claimant_is_told(admin_action, staff_user):
    claim = make_claim(status=Claim.Status.PENDING, language="es")
    response = admin_action("approve", [claim])
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED and claim.decided_by == staff_user
    [message] = mail.outbox
    assert message.to == [claim.work_email] and "Ahora administra" in message.subject


def test_staff_reject_with_a_reason_the_claimant_receives(admin_action):
    claim = make_claim(status=Claim.Status.PENDING, language="en")
    page = admin_action("reject", [claim])  # asks for the reason first
    assert page.status_code == 200 and "Reason" in page.content.decode()
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PENDING and not mail.outbox

    admin_action("reject", [claim], apply="1", reason="Not on the cluster's staff list.")

    claim.refresh_from_db()
    assert claim.status == Claim.Status.REJECTED
    assert claim.decision_reason == "Not on the cluster's staff list."
    [message] = mail.outbox
    assert "was not approved" in message.subject
    assert "Not on the cluster's staff list." in message.body


def test_staff_revoke_a_manager_who_then_cannot_edit(admin_action):
    claim = make_claim(status=Claim.Status.APPROVED)
    client = Client()  # the manager's browser; staff use the ``client`` fixture
    client.force_login(claim.user)
    edit = reverse("clusters:cluster_edit", args=[claim.cluster.slug])
    assert client.get(edit).status_code == 200

    admin_action("revoke", [claim], apply="1", reason="Left the cluster.")

    claim.refresh_from_db()
    assert claim.status == Claim.Status.REVOKED
    assert client.get(edit).status_code == 404
    assert "Left the cluster." in mail.outbox[0].body
    # The person may claim again later (the constraint counts open claims only).
    make_claim(claim.cluster, claim.user, status=Claim.Status.PENDING)


def test_approve_leaves_claims_that_are_not_pending_alone(admin_action):
    rejected = make_claim(status=Claim.Status.REJECTED)
    admin_action("approve", [rejected])
    rejected.refresh_from_db()
    assert rejected.status == Claim.Status.REJECTED and not mail.outbox


def test_a_cluster_can_have_several_managers_and_a_person_several_clusters():
    first = make_claim()
    second = make_claim(first.cluster)
    third = make_claim(user=first.user)
    assert {c.user for c in first.cluster.managers()} == {first.user, second.user}
    assert set(Claim.objects.approved().filter(user=first.user)) == {first, third}


def test_claiming_again_before_verifying_sends_a_new_link_for_the_same_claim(client, claut):
    client.force_login(make_user("ana@claut.com.mx"))
    url = reverse("clusters:claim_new", args=[claut.slug])
    client.post(url, claim_data(password=""))
    first = verify_link(mail.outbox[0])

    client.post(url, claim_data(password="", work_email="ana.perez@claut.com.mx"))

    claim = Claim.objects.get()
    assert claim.work_email == "ana.perez@claut.com.mx"
    second = verify_link(mail.outbox[1])
    assert mail.outbox[1].to == ["ana.perez@claut.com.mx"] and second != first
    assert client.get(first).status_code == 400  # the old address is no longer the claim's
    assert client.get(second).status_code == 200
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED
