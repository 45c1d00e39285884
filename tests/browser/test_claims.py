"""The Mexican cluster manager's journeys of issue 15, in a real browser against a live server:
(1) claim a profile by domain, edit it in Spanish, see "provided by the cluster" on the page;
(3) staff approve a claim from the queue. Screenshots at 1280×800 and 390×844."""

import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from clusters.models import Claim, Cluster
from tests.browser.conftest import PASSWORD, log_in_admin, screenshot
from tests.browser.test_accessibility import check_pages, goto
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SLUG = "aerospace-alliance-of-baja-california-a-c"  # website http://www.bajaaerospace.org/
PHONE = {"width": 390, "height": 844}
SPANISH_TEXT = "Somos la alianza aeroespacial de Baja California: 76 empresas del sector."


def both_sizes(page: Page, name: str) -> None:
    """Screenshots at 1280×800 and at 390×844 (the phone), from the top."""
    screenshot(page, name, top=True)
    page.set_viewport_size(PHONE)
    screenshot(page, f"{name}-phone", top=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def verify_link() -> str:
    [message] = [m for m in mail.outbox if "/claims/verify/" in m.body]
    return re.search(r"https?://\S+/claims/verify/\S+/", message.body).group(0)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_a_manager_claims_by_domain_edits_in_spanish_and_the_page_says_so(
    new_context, briefing_loaded
):
    page = new_context(locale="es-MX").new_page()  # a Mexican browser: Spanish by default
    page.goto(f"/clusters/{SLUG}/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.get_by_role("link", name="Administrar este perfil").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Administrar el perfil")
    page.get_by_label("Su nombre").fill("Ana Pérez")
    page.get_by_label("Su cargo en el clúster").fill("Directora general")
    page.get_by_label("Correo de trabajo").fill("ana.perez@bajaaerospace.org")
    page.get_by_label("Elija una contraseña").fill(PASSWORD)
    page.get_by_label("Acepto el aviso de privacidad").check()
    both_sizes(page, "claims-1-claim-form")
    page.get_by_role("button", name="Enviar la solicitud").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revise su correo")

    page.goto(verify_link())  # the link in the (Spanish) email
    expect(page.get_by_role("main")).to_contain_text("Ahora administra el perfil")
    claim = Claim.objects.get()
    assert claim.status == Claim.Status.APPROVED and claim.language == "es"

    page.get_by_role("link", name="Editar el perfil").click()
    page.get_by_label("Descripción en español").fill(SPANISH_TEXT)
    page.get_by_label("Lo que ofrece el clúster").fill("Piezas de turbina e interiores.")
    page.get_by_label("Miembros").fill("80")
    page.get_by_label("Año de las cifras").fill("2026")
    both_sizes(page, "claims-2-edit-form")
    page.get_by_role("button", name="Guardar el perfil").click()

    expect(page).to_have_url(re.compile(f"/clusters/{SLUG}/$"))
    description = page.locator(".description.provided")
    expect(description).to_contain_text(SPANISH_TEXT)
    date = timezone.localdate()
    expect(description).to_contain_text("Proporcionado por el clúster el")
    expect(description).to_contain_text(str(date.year))
    # The briefing's own text stays, with its source.
    expect(page.get_by_role("main")).to_contain_text("In the Aerospace Alliance of Baja California")
    expect(page.get_by_role("main")).to_contain_text("Del informe preparatorio (dic. 2016)")
    both_sizes(page, "claims-3-cluster-provided")
    assert Cluster.objects.get(slug=SLUG).description.startswith("Mexico and Baja California")

    nav = page.get_by_role("navigation", name="Principal")
    nav.get_by_role("link", name="Mis clústeres").click()
    both_sizes(page, "claims-4-my-clusters")
    page.get_by_role("button", name=re.compile("sigue siendo correcto")).click()
    expect(page.get_by_role("main")).to_contain_text("Última confirmación")
    assert Cluster.objects.get(slug=SLUG).last_verified == date

    check_pages(
        page,
        [
            ("my clusters", lambda: None),
            ("edit", goto(page, f"/clusters/{SLUG}/edit/")),
            ("cluster with provenance", goto(page, f"/clusters/{SLUG}/")),
            ("claim form of another cluster", goto(page, "/clusters/it-baja/claim/")),
        ],
    )


def test_staff_approve_a_claim_from_the_queue(new_context, briefing_loaded):
    staff = make_user("staff@programme.example.eu", is_staff=True, is_superuser=True)
    claimant = make_user("ana@gmail.com")
    Claim.objects.create(
        user=claimant,
        cluster=Cluster.objects.get(slug=SLUG),
        name="Ana Pérez",
        role="Directora",
        work_email="ana@gmail.com",
        message="Soy la directora; use mi correo personal.",
        consent_at=timezone.now(),
        consent_version="2026-11",
        status=Claim.Status.PENDING,
        language="es",
    )
    admin = new_context().new_page()
    log_in_admin(admin, staff.email)
    admin.get_by_role("link", name="Claims", exact=True).click()
    admin.get_by_role("link", name="Waiting for staff").click()
    expect(admin.locator("#result_list tbody tr")).to_have_count(1)
    screenshot(admin, "claims-5-admin-queue")
    admin.locator("input.action-select").first.check()
    admin.locator("select[name=action]").select_option("approve")
    admin.get_by_role("button", name="Go").click()

    expect(admin.locator(".messagelist")).to_contain_text("1 claim approved.")
    screenshot(admin, "claims-6-admin-approved")
    assert Claim.objects.get().status == Claim.Status.APPROVED
    [message] = mail.outbox
    assert message.to == ["ana@gmail.com"] and "Ahora administra" in message.subject

    manager = new_context(locale="es-MX").new_page()
    manager.goto("/accounts/login/")
    manager.locator("#id_username").fill("ana@gmail.com")
    manager.locator("#id_password").fill(PASSWORD)
    manager.locator("main form button[type=submit]").click()
    manager.goto("/my-clusters/")
    expect(manager.get_by_role("main")).to_contain_text("Aerospace Alliance of Baja California")
