"""Introductions in two real browsers: an SME asks, a Mexican manager working in Spanish
accepts, and only then do both see each other's contact details (journey 2 of issue 15); a
request expires through beat and a real worker, and the requester sees it (journey 4).
Also axe-core on every introductions page."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from clusters.models import Claim, Cluster
from matchmaking.matching.suggest import rescore_interest
from matchmaking.models import PRIVACY_NOTICE_VERSION, Introduction
from tests.browser.conftest import (
    PASSWORD,
    log_in,
    make_interest,
    screenshot,
    verified_sme,
)
from tests.browser.test_accessibility import check_pages, goto, submit_empty
from tests.browser.test_journeys import reload_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SME_EMAIL = "ana.martin@aerotech-toulouse.example.eu"
SME_SECRETS = ["Ana Martin", SME_EMAIL, "+33 5 61 55 50 10", "aerotech-toulouse.example.eu/"]
MANAGER_EMAIL = "direccion@aeroespacial-bc.example.mx"
MANAGER_SECRETS = ["Mariana Ruiz", "mariana.ruiz@aeroespacial-bc.example.mx", "+52 664 555 0142"]
CLUSTER = "Clúster Aeroespacial"


def both_sizes(page: Page, name: str) -> None:
    """Screenshots at 1280×800 and at 390×844 (a phone)."""
    screenshot(page, name, top=True)
    page.set_viewport_size(PHONE)
    screenshot(page, f"{name}-phone", top=True)
    page.set_viewport_size(DESKTOP)


def assert_hidden(page: Page, secrets: list[str], where: str) -> None:
    text = page.content()
    leaked = [secret for secret in secrets if secret in text]
    assert not leaked, f"{where} shows {leaked} before acceptance"


def log_in_any_language(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/(dashboard|my-clusters)/"))


def make_sme():
    organisation = verified_sme(SME_EMAIL)
    organisation.contact_name, organisation.phone = "Ana Martin", "+33 5 61 55 50 10"
    organisation.website = "https://aerotech-toulouse.example.eu/"
    organisation.save()
    interest = make_interest(organisation, sectors=["aerospace"], states=["MX-BCN"])
    rescore_interest(interest.pk)
    return organisation


def make_mexican_manager(cluster: Cluster) -> Claim:
    user = get_user_model().objects.create_user(
        username=MANAGER_EMAIL, email=MANAGER_EMAIL, password=PASSWORD
    )
    return Claim.objects.create(
        user=user, cluster=cluster, name="Mariana Ruiz", role="Directora",
        work_email="mariana.ruiz@aeroespacial-bc.example.mx", phone="+52 664 555 0142",
        consent_at=timezone.now(), consent_version=PRIVACY_NOTICE_VERSION,
        status=Claim.Status.APPROVED, email_verified_at=timezone.now(), language="es",
    )  # fmt: skip


def test_sme_requests_an_introduction_the_manager_accepts_in_spanish_and_both_see_contacts(
    new_context, briefing_loaded, live_server, settings
):
    settings.SITE_URL = live_server.url  # the address the emails' links use
    cluster = Cluster.objects.get(slug="cluster-aeroespacial-baja-california")
    make_sme()
    make_mexican_manager(cluster)

    # The SME, on its dashboard: the cluster's card offers an introduction.
    sme = new_context().new_page()
    log_in(sme, SME_EMAIL)
    card = sme.locator("li.suggestion").filter(
        has=sme.get_by_role("heading", level=3, name=CLUSTER, exact=True)
    )
    assert_hidden(sme, MANAGER_SECRETS, "the dashboard")
    card.get_by_role("link", name=f"Request an introduction to {CLUSTER}").click()
    expect(sme.get_by_role("heading", level=1)).to_have_text(
        f"Request an introduction to {CLUSTER}"
    )
    kinds = sme.get_by_role("group", name="Cooperation you propose")
    expect(kinds.get_by_label("Technology & R&D partnership")).to_be_checked()  # the interest's
    sme.get_by_role("button", name="Send the request").click()  # no message yet
    expect(sme.locator(".error-summary")).to_contain_text("Write a message")
    sme.get_by_label("Your message").fill(
        "We make composite cabin parts in Toulouse and look for an aerospace partner in "
        "Baja California for MRO work."
    )
    both_sizes(sme, "introductions-1-request")
    sme.get_by_role("button", name="Send the request").click()

    expect(sme.get_by_role("status").first).to_contain_text("Your request has been sent.")
    expect(sme.locator(".intro-status")).to_have_text(
        "Introduction requested: waiting for an answer"
    )
    expect(sme.get_by_role("region", name="Contact details")).to_contain_text(
        "Contact details are shared once both sides said yes."
    )
    assert_hidden(sme, MANAGER_SECRETS, "the SME's introduction page")
    sme.goto(cluster.get_absolute_url())
    expect(sme.get_by_role("region", name="Introduction")).to_contain_text("waiting for an answer")
    assert_hidden(sme, MANAGER_SECRETS, "the cluster page")
    introduction = Introduction.objects.get()

    # The manager's email is in Spanish, with a link; nothing of the SME's contacts.
    [email] = mail.outbox
    assert email.to == ["mariana.ruiz@aeroespacial-bc.example.mx"]
    assert email.subject.startswith("Solicitud de presentación")
    assert not [secret for secret in SME_SECRETS if secret in email.body]
    link = re.search(r"https?://\S+/introductions/link/\S+/", email.body).group(0)

    # The manager, in a Spanish browser, follows the link and logs in.
    manager = new_context(locale="es-MX").new_page()
    manager.goto(link)
    expect(manager).to_have_url(re.compile(r"/accounts/login/"))
    manager.locator("#id_username").fill(MANAGER_EMAIL)
    manager.locator("#id_password").fill(PASSWORD)
    manager.get_by_role("main").get_by_role("button", name="Iniciar sesión").click()
    expect(manager).to_have_url(re.compile(rf"/introductions/{introduction.pk}/$"))
    expect(manager.locator(".intro-status")).to_have_text(
        "Presentación solicitada: en espera de respuesta"
    )
    expect(manager.locator(".count-badge")).to_contain_text("1")
    expect(manager.locator(".intro-message")).to_contain_text("composite cabin parts")
    assert_hidden(manager, SME_SECRETS, "the manager's introduction page")
    both_sizes(manager, "introductions-2-manager-answers-es")

    manager.get_by_role("button", name="Aceptar la presentación").click()
    contacts = manager.get_by_role("region", name="Datos de contacto")
    for secret in ["Ana Martin", SME_EMAIL, "+33 5 61 55 50 10"]:
        expect(contacts).to_contain_text(secret)
    expect(manager.locator(".count-badge")).to_have_count(0)
    both_sizes(manager, "introductions-3-manager-sees-contacts-es")

    # The SME sees the manager's contact details on the introduction's page and by email.
    sme.goto(introduction.get_absolute_url())
    expect(sme.locator(".intro-status")).to_have_text("Introduction accepted")
    contacts = sme.get_by_role("region", name="Contact details")
    for secret in MANAGER_SECRETS:
        expect(contacts).to_contain_text(secret)
    both_sizes(sme, "introductions-4-sme-sees-contacts")
    by_recipient = {message.to[0]: message.body for message in mail.outbox[1:]}
    assert "+52 664 555 0142" in by_recipient[SME_EMAIL]
    assert "+33 5 61 55 50 10" in by_recipient["mariana.ruiz@aeroespacial-bc.example.mx"]

    # Either side records the outcome.
    sme.get_by_label("We met").check()
    sme.get_by_role("button", name="Record the outcome").click()
    expect(sme.get_by_role("status").first).to_contain_text("the outcome is recorded")
    introduction.refresh_from_db()
    assert (introduction.status, introduction.outcome) == ("accepted", "met")


def test_a_request_expires_through_beat_and_the_requester_sees_it(
    new_context, briefing_loaded, beat
):
    cluster = Cluster.objects.get(slug="cluster-aeroespacial-baja-california")
    organisation = make_sme()
    make_mexican_manager(cluster)
    now = timezone.now()
    Introduction.objects.create(
        organisation=organisation, cluster=cluster, direction="organisation",
        requested_by=organisation.user, message="Shall we talk about MRO?",
        kinds=["technology"], created=now - timedelta(days=15),
        expires_at=now - timedelta(days=1),
    )  # fmt: skip

    page = new_context().new_page()
    log_in(page, SME_EMAIL)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Introductions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Introductions")

    # Beat sends the sweep every second; the worker expires the request.
    reload_until(
        page,
        lambda p: p.get_by_text("Introduction request expired").count() > 0,
        what="the request to expire",
    )
    row = page.locator(".introduction-row").first
    expect(row).to_contain_text(CLUSTER)
    both_sizes(page, "introductions-5-expired")
    row.get_by_role("link").click()
    expect(page.locator(".intro-status")).to_have_text("Introduction request expired")
    # The dashboard's card offers a new request.
    page.goto(reverse("matchmaking:dashboard"))
    card = page.locator("li.suggestion").filter(
        has=page.get_by_role("heading", level=3, name=CLUSTER, exact=True)
    )
    expect(card.locator(".intro-status")).to_have_text("Introduction request expired")
    expect(card.get_by_role("link", name=f"Request an introduction to {CLUSTER}")).to_be_visible()


def test_introduction_pages_have_no_serious_accessibility_violations(new_context, briefing_loaded):
    cluster = Cluster.objects.get(slug="cluster-aeroespacial-baja-california")
    organisation = make_sme()
    organisation.visible_to_clusters = True
    organisation.save()
    make_mexican_manager(cluster)
    introduction = Introduction.objects.create(
        organisation=organisation, cluster=cluster, direction="organisation",
        requested_by=organisation.user, message="Shall we talk?", kinds=["technology"],
        expires_at=timezone.now() + timedelta(days=14),
    )  # fmt: skip
    get_user_model().objects.create_superuser(
        username="staff@programme.example.eu", email="staff@programme.example.eu",
        password=PASSWORD,
    )  # fmt: skip
    other = Cluster.objects.get(slug="cluster-automotriz-de-nuevo-leon")
    request_url = reverse("matchmaking:request_introduction", args=[other.slug])

    page = new_context().new_page()
    log_in(page, SME_EMAIL)
    check_pages(
        page,
        [
            ("introductions", goto(page, reverse("matchmaking:introductions"))),
            ("an introduction, asked", goto(page, introduction.get_absolute_url())),
            ("request form", goto(page, request_url)),
            ("request form, errors", submit_empty(page, request_url, "Send the request")),
            ("profile", goto(page, reverse("matchmaking:organisation_profile"))),
            ("cluster page with its introduction", goto(page, cluster.get_absolute_url())),
        ],
    )
    for locale in ("en-GB", "es-MX"):
        manager = new_context(locale=locale).new_page()
        log_in_any_language(manager, MANAGER_EMAIL)
        check_pages(
            manager,
            [
                ("an introduction, to answer", goto(manager, introduction.get_absolute_url())),
                (
                    "interested organisations",
                    goto(
                        manager,
                        reverse("matchmaking:cluster_organisations", args=[cluster.slug]),
                    ),
                ),
            ],
        )
    screenshot(manager, "introductions-6-interested-organisations-es", full_page=True)
    staff = new_context().new_page()
    log_in(staff, "staff@programme.example.eu")
    check_pages(staff, [("funnel", goto(staff, reverse("matchmaking:introductions_funnel")))])
    screenshot(staff, "introductions-7-funnel", full_page=True)
