"""First impressions in a real browser: the landing page for both sides, every main page on a
phone (390×844) in English and Spanish, and how soon suggestions appear once the worker is
done. Screenshots are saved in var/screenshots/ (the README's are copies in docs/screenshots/).
"""

import re
import time

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from matchmaking.models import Interest, MatchRun
from tests.browser.conftest import log_in, screenshot, verified_sme
from tests.browser.test_accessibility import FAILING_IMPACTS, axe_violations, describe
from tests.browser.test_journeys import fill_interest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
MIN_TAP = 44
# Controls a thumb must hit: the header's links and buttons, and the main content's form
# controls, buttons and button-like links. Links inside running text are exempt (WCAG 2.5.8).
TAP_TARGETS = (
    ".site-header a, .site-header button, .site-header select, main button, main select, "
    "main input:not([type=hidden]):not([type=checkbox]):not([type=radio]), main a.button, "
    ".pagination a, table.cards tbody th a"
)
SMALL_TARGETS = """selector => [...document.querySelectorAll(selector)]
  .filter(element => element.offsetParent !== null)
  .map(element => ({box: element.getBoundingClientRect(), html: element.outerHTML.slice(0, 80)}))
  .filter(({box}) => box.width < 44 || box.height < 44)
  .map(({box, html}) => `${Math.round(box.width)}×${Math.round(box.height)} ${html}`)"""


def assert_fits_the_phone(page: Page, name: str) -> None:
    """No sideways scrolling, every tap target 44×44 px or more, tables drawn as cards, and
    nothing serious for axe-core."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: {width} px wide, scrolls sideways"
    small = page.evaluate(SMALL_TARGETS, TAP_TARGETS)
    assert not small, f"{name}: tap targets under {MIN_TAP}×{MIN_TAP} px: {small}"
    for table in page.locator("table.cards").all():
        assert table.evaluate("t => getComputedStyle(t.querySelector('td, th')).display") == (
            "block"
        ), f"{name}: a table is not drawn as cards"
    serious = [v for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS]
    assert not serious, describe(name, serious)


def open_menu(page: Page, label: str) -> None:
    """The header's menu is closed on a phone; its button opens it."""
    menu = page.get_by_role("button", name=label)
    navigation = page.get_by_role("navigation", name=re.compile("Main|Principal"))
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(navigation).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(navigation).to_be_visible()


@pytest.mark.parametrize(
    ("locale", "wording"),
    [
        (
            "en-GB",
            {
                "europe": "See who you would match",
                "mexico": "Find and claim your cluster",
                "menu": "Menu",
                "found": "4 clusters found",
            },
        ),
        (
            "es-MX",
            {
                "europe": "Vea con quién coincidiría",
                "mexico": "Encuentre y reclame su clúster",
                "menu": "Menú",
                "found": "Se han encontrado 4 clústeres",
            },
        ),
    ],
)
def test_landing_page_speaks_to_both_sides_at_both_widths(
    new_context, briefing_loaded, locale, wording
):
    language = locale[:2]
    for size, viewport in [("desktop", {"width": 1280, "height": 800}), ("phone", PHONE)]:
        page = new_context(locale=locale, viewport=viewport).new_page()
        page.goto("/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.get_by_role("link", name=wording["europe"])).to_have_attribute(
            "href", reverse("matchmaking:match_preview")
        )
        expect(page.get_by_role("link", name=wording["mexico"])).to_have_attribute(
            "href", reverse("clusters:cluster_list")
        )
        # No favicon 404: the page names the icon, and /favicon.ico leads to it.
        icon = page.request.get("/favicon.ico")
        assert icon.ok and icon.headers["content-type"].startswith("image/svg+xml")
        screenshot(page, f"home-{size}-{language}", full_page=size == "phone")
        if size == "phone":
            assert_fits_the_phone(page, f"home ({language}, phone)")
            open_menu(page, wording["menu"])
            screenshot(page, f"menu-phone-{language}")
        # The directory, one search away: a state's name finds all its clusters.
        page.locator("#home-q").fill("queretaro")
        page.locator("form.home-search button").click()
        expect(page).to_have_url(re.compile(r"/clusters/\?q=queretaro$"))
        expect(page.locator(".result-count")).to_contain_text(wording["found"])


PHONE_PAGES = [
    ("directory", "/clusters/"),
    ("directory-filtered", "/clusters/?sector=aerospace"),
    ("cluster", "/clusters/automotive-cluster-chihuahua/"),
    ("states", "/states/"),
    ("state", "/states/MX-QUE/"),
    ("sectors", "/sectors/"),
    ("sector-table1", "/sectors/renewable-energy/"),
    ("programmes", "/programmes/"),
    ("map", "/map/"),
    ("data-notes", "/data-notes/"),
    ("match-preview", "/match-preview/?sectors=aerospace&states=MX-BCN"),
    ("signup", "/signup/"),
    ("login", "/accounts/login/"),
    ("not-found", "/no-such-page/"),
]


@pytest.mark.parametrize("locale", ["en-GB", "es-MX"])
def test_every_main_page_fits_a_phone(new_context, briefing_loaded, locale):
    page = new_context(locale=locale, viewport=PHONE).new_page()
    language = locale[:2]
    for name, url in PHONE_PAGES:
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("lang", language)
        assert_fits_the_phone(page, f"{name} ({language})")
        screenshot(page, f"phone-{name}-{language}", full_page=name in {"cluster", "data-notes"})
    # The directory's clusters as cards, each cell named.
    page.goto("/clusters/?q=queretaro")
    page.locator("table.cards caption").scroll_into_view_if_needed()
    screenshot(page, f"phone-directory-cards-{language}")


def test_account_pages_fit_a_phone(new_context, briefing_loaded, celery_broker):
    verified_sme("phone@aerotech-toulouse.example.eu")
    page = new_context(viewport=PHONE).new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill("phone@aerotech-toulouse.example.eu")
    page.get_by_label("Password", exact=True).fill("a-long-enough-passphrase")
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/dashboard/"))
    for name, url in [
        ("dashboard", "/dashboard/"),
        ("interest-form", "/interests/new/"),
        ("my-data", "/my-data/"),
    ]:
        page.goto(url)
        assert_fits_the_phone(page, name)
        screenshot(page, f"phone-{name}-en")


def test_suggestions_appear_within_a_second_of_the_worker_finishing(
    new_context, briefing_loaded, worker
):
    """From the worker finishing (its MatchRun's ``finished_at``, written after the
    suggestions are committed) to the suggestions on the page, measured in the browser with
    a real worker; the figure is printed (-s)."""
    verified_sme("timing@aerotech-toulouse.example.eu")
    page = new_context().new_page()
    log_in(page, "timing@aerotech-toulouse.example.eu")
    page.goto(reverse("matchmaking:interest_new"))
    fill_interest(page)
    seen = []
    page.on("response", lambda r: seen.append((time.time(), r.url.split("/", 3)[-1], r.status)))
    saved_at = time.time()
    page.get_by_role("button", name="Save and find clusters").click()
    suggestions = page.locator("ol.suggestions > li.suggestion")
    expect(suggestions.first).to_be_visible(timeout=60_000)
    shown_at = time.time()
    interest = Interest.objects.get(organisation__user__email="timing@aerotech-toulouse.example.eu")
    # The worker's run is recorded as finished once the suggestions are committed.
    run = MatchRun.objects.get(subject=f"interest {interest.pk}", status=MatchRun.Status.DONE)
    worker_done = run.finished_at.timestamp()
    latency = shown_at - worker_done
    print(
        f"\nsuggestions shown {latency:.2f} s after the worker finished "
        f"({shown_at - saved_at:.2f} s after saving; the worker done "
        f"{worker_done - saved_at:.2f} s after saving). Responses, from the worker's end:"
    )
    for at, url, status in seen:
        print(f"  {at - worker_done:+.2f} s  {status} /{url}")
    assert latency < 1.0, f"suggestions appeared {latency:.2f} s after the worker finished"


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 800}, PHONE], ids=["desktop", "phone"]
)
def test_match_preview_shows_its_results_in_view_and_keeps_the_choices_at_sign_up(
    new_context, briefing_loaded, celery_broker, viewport
):
    size = "phone" if viewport == PHONE else "desktop"
    page = new_context(viewport=viewport).new_page()
    page.goto(reverse("matchmaking:match_preview"))
    expect(page.get_by_label("How many suggestions")).to_have_count(0)
    page.get_by_role("group", name="Sectors").get_by_label("Aerospace", exact=True).check()
    page.get_by_role("group", name=re.compile("Target Mexican states")).get_by_label(
        "Baja California", exact=True
    ).check()
    page.get_by_role("group", name="Kinds of cooperation").get_by_label("Supply chain").check()
    page.get_by_label(re.compile("^Description")).fill("Turbine parts")
    page.get_by_role("button", name="Show matches").click()
    # The page opens at the results, whatever the length of the form above them.
    heading = page.get_by_role("heading", name="Matches", level=2)
    expect(heading).to_be_in_viewport()
    assert page.evaluate("window.scrollY") > 0
    expect(page.locator("#results ol.suggestions > li").first).to_be_in_viewport()
    screenshot(page, f"preview-results-{size}")

    page.get_by_role("link", name="Sign up to keep these").click()
    expect(page.get_by_role("note")).to_contain_text("will fill in your first interest")
    page.get_by_label("Email address").fill(f"keep-{size}@example.eu")
    page.get_by_label("Password", exact=True).fill("a-long-enough-passphrase")
    page.get_by_label("Password again").fill("a-long-enough-passphrase")
    page.get_by_label("Organisation name").fill("Keep Aero GmbH")
    page.get_by_label("Country").select_option(label="Germany")
    page.get_by_label("Kind of organisation").select_option(label="SME")
    page.get_by_label(re.compile("I agree that my organisation's data")).check()
    page.get_by_role("button", name="Create the account").click()

    # The first interest starts from the preview's choices.
    expect(page).to_have_url(re.compile(r"/interests/new/\?sectors=aerospace"))
    sectors = page.get_by_role("group", name="Sectors")
    expect(sectors.get_by_label("Aerospace", exact=True)).to_be_checked()
    states = page.get_by_role("group", name=re.compile("Target Mexican states"))
    expect(states.get_by_label("Baja California", exact=True)).to_be_checked()
    kinds = page.get_by_role("group", name="Kinds of cooperation")
    expect(kinds.get_by_label("Supply chain")).to_be_checked()
    expect(page.get_by_label(re.compile("^Description"))).to_have_value("Turbine parts")
    screenshot(page, f"preview-kept-interest-{size}", top=True)
    page.get_by_label("Title").fill("Kept from the preview")
    page.get_by_role("button", name="Save and find clusters").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kept from the preview")
    interest = Interest.objects.get(organisation__user__email=f"keep-{size}@example.eu")
    assert [s.slug for s in interest.sectors.all()] == ["aerospace"]
    assert [s.code for s in interest.states.all()] == ["MX-BCN"]
    assert interest.kinds == ["supply_chain"]
    assert interest.description == "Turbine parts"
