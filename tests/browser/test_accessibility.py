"""Accessibility: axe-core (vendored in tests/browser/vendor, never fetched) on every main page,
no "serious" or "critical" violation; and the sign-up and interest forms completed with the
keyboard alone, every stop showing a visible focus indicator."""

import json
import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from clusters.models import Cluster, Sector, State
from matchmaking.matching.suggest import rescore_interest
from matchmaking.models import Interest, Suggestion
from tests.browser.conftest import (
    PASSWORD,
    aerospace_interest,
    log_in,
    screenshot,
    verified_sme,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
FAILING_IMPACTS = {"serious", "critical"}


def axe_violations(page: Page) -> list[dict]:
    """Run axe-core on the page as it is. The site's Content-Security-Policy allows only its own
    scripts; Playwright's evaluate() is not subject to it, a <script> tag would be."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return result["violations"]


def describe(url: str, violations: list[dict]) -> str:
    lines = [f"{url}:"]
    for violation in violations:
        lines.append(
            f"  [{violation['impact']}] {violation['id']}: {violation['help']} "
            f"({violation['helpUrl']})"
        )
        for node in violation["nodes"][:5]:
            lines.append(f"      at {json.dumps(node['target'])}: {node['html'][:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"         {summary[:300]}")
        if len(violation["nodes"]) > 5:
            lines.append(f"      … and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


def check_pages(page: Page, visits) -> None:
    """Visit each (name, how) and run axe; fail once, listing every serious or critical
    violation of every page."""
    failures = []
    for name, visit in visits:
        visit()
        page.wait_for_load_state("load")
        violations = axe_violations(page)
        serious = [v for v in violations if v["impact"] in FAILING_IMPACTS]
        if serious:
            failures.append(describe(f"{name} ({page.url})", serious))
        if others := [v for v in violations if v["impact"] not in FAILING_IMPACTS]:
            print(describe(f"not failing: {name} ({page.url})", others))  # shown with -s
    assert not failures, "accessibility violations (serious or critical):\n" + "\n".join(failures)


def goto(page: Page, url: str):
    return lambda: page.goto(url)


def submit_empty(page: Page, url: str, button: str):
    def visit():
        page.goto(url)
        page.get_by_role("main").get_by_role("button", name=button).click()
        expect(page.locator(".error-summary")).to_be_visible()

    return visit


def test_axe_runs_and_reports(page):
    """The harness itself: axe loads under the site's CSP and finds planted violations."""
    page.goto("/privacy/")
    page.evaluate(
        """() => document.querySelector("main").insertAdjacentHTML(
            "beforeend", '<button class="planted"></button><input class="planted">')"""
    )
    found = {v["id"]: v["impact"] for v in axe_violations(page)}
    assert found.get("button-name") == "critical"
    assert found.get("label") == "critical"


def test_public_pages_have_no_serious_accessibility_violations(page, new_context, briefing_loaded):
    claut = Cluster.objects.get(slug="cluster-automotriz-de-nuevo-leon")  # lapsed gold label
    preview = reverse("matchmaking:match_preview")
    check_pages(
        page,
        [
            ("home", goto(page, "/")),
            ("directory", goto(page, "/clusters/")),
            ("directory, filtered", goto(page, "/clusters/?sector=aerospace&state=MX-BCN&q=aero")),
            ("directory, bad filter", goto(page, "/clusters/?sector=no-such-sector&page=x")),
            ("data notes", goto(page, reverse("clusters:data_notes"))),
            ("renewable energy, Table 1", goto(page, "/sectors/renewable-energy/")),
            ("cluster page", goto(page, claut.get_absolute_url())),
            ("map and chart", goto(page, reverse("clusters:map"))),
            ("sectors", goto(page, reverse("clusters:sector_list"))),
            ("a sector", goto(page, reverse("clusters:sector_detail", args=["aerospace"]))),
            ("states", goto(page, reverse("clusters:state_list"))),
            ("a state", goto(page, State.objects.get(code="MX-NLE").get_absolute_url())),
            ("programmes", goto(page, reverse("clusters:programme_list"))),
            ("match preview", goto(page, preview)),
            ("match preview, results", goto(page, f"{preview}?sectors=aerospace&states=MX-BCN")),
            ("match preview, errors", goto(page, f"{preview}?sectors=no-such-sector")),
            ("sign-up", goto(page, reverse("matchmaking:signup"))),
            ("sign-up, errors", submit_empty(page, "/signup/", "Create the account")),
            ("log in", goto(page, reverse("login"))),
            ("privacy notice", goto(page, reverse("matchmaking:privacy"))),
            ("page not found", goto(page, "/no-such-page/")),
        ],
    )
    # A browser that asks for Spanish gets the pages in Spanish (lang="es").
    spanish = new_context(locale="es-MX").new_page()
    check_pages(
        spanish,
        [
            ("home, Spanish", goto(spanish, "/")),
            ("directory, Spanish", goto(spanish, "/clusters/?sector=aerospace")),
            ("data notes, Spanish", goto(spanish, reverse("clusters:data_notes"))),
            ("cluster page, Spanish", goto(spanish, claut.get_absolute_url())),
            ("sign-up, Spanish", goto(spanish, reverse("matchmaking:signup"))),
        ],
    )
    expect(spanish.locator("html")).to_have_attribute("lang", "es")


def test_account_pages_have_no_serious_accessibility_violations(
    page, briefing_loaded, celery_broker
):
    organisation = verified_sme("ops@aerotech-toulouse.example.eu")
    organisation.email_verified_at = None  # shows the verification banner
    organisation.save()
    interest = aerospace_interest(organisation, sectors=["aerospace"], states=["MX-BCN"])
    rescore_interest(interest.pk)
    suggestions = list(interest.suggestions.order_by("-score"))
    suggestions[0].status = Suggestion.Status.INTERESTED
    suggestions[-1].status = Suggestion.Status.NOT_RELEVANT
    Suggestion.objects.bulk_update([suggestions[0], suggestions[-1]], ["status"])
    # A second interest, not scored yet: the dashboard says its suggestions are computing.
    aerospace_interest(organisation, sectors=["automotive"], states=[], title="Automotive anywhere")

    log_in(page, "ops@aerotech-toulouse.example.eu")
    screenshot(page, "a11y-dashboard", top=True)
    check_pages(
        page,
        [
            ("dashboard", lambda: None),
            ("interest", goto(page, interest.get_absolute_url())),
            ("interest form", goto(page, reverse("matchmaking:interest_new"))),
            (
                "interest form, errors",
                submit_empty(page, "/interests/new/", "Save and find clusters"),
            ),
            ("edit interest", goto(page, reverse("matchmaking:interest_edit", args=[interest.pk]))),
            ("my data", goto(page, reverse("matchmaking:my_data"))),
            ("delete account", goto(page, reverse("matchmaking:delete_account"))),
            ("match preview, logged in", goto(page, "/match-preview/?sectors=aerospace")),
        ],
    )


# --- Keyboard only -------------------------------------------------------------------------

FOCUS_STYLE = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return {
    element: element.outerHTML.slice(0, 120),
    focusVisible: element.matches(":focus-visible"),
    colours: (outline ? style.outlineColor : "") + " " + style.boxShadow,
  };
}"""
RGB = re.compile(r"rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)")


def contrast_with_white(red: int, green: int, blue: int) -> float:
    def channel(value: int) -> float:
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)
    return 1.05 / (luminance + 0.05)


def assert_focus_visible(page: Page) -> None:
    """The focused element shows a ring (outline or box-shadow) in a colour with 3:1 contrast
    or more against the white page (WCAG 1.4.11)."""
    focus = page.evaluate(FOCUS_STYLE)
    assert focus["focusVisible"], f"{focus['element']} does not match :focus-visible"
    best = max(
        (
            contrast_with_white(int(r), int(g), int(b))
            for r, g, b, alpha in RGB.findall(focus["colours"])
            if alpha in ("", "1")
        ),
        default=1.0,
    )
    assert best >= 3, f"focus ring of {focus['element']} hardly visible: {focus['colours']}"


def tab_to(page: Page, selector: str, *, limit: int) -> None:
    """Press Tab (at most ``limit`` times) until the element matching ``selector`` has the
    focus; every element passed on the way must show where the focus is."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.matches('main[tabindex=\"-1\"]')"):
            # The skip link's target, not a Tab stop: focused by the "#main" fragment the
            # page was loaded with, which Chromium may apply after the first Tab. No ring.
            continue
        assert_focus_visible(page)
        if page.evaluate("selector => document.activeElement.matches(selector)", selector):
            return
    focused = page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)")
    raise AssertionError(f"{selector} not reached in {limit} Tab presses; focus on {focused}")


def skip_to_main(page: Page) -> None:
    """The first Tab shows the skip link; Enter moves the focus to the main content."""
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0, "the skip link stays off screen"
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_sign_up_and_state_an_interest_with_the_keyboard_alone(
    page, briefing_loaded, celery_broker
):
    email = "keyboard@example.eu"
    page.goto(reverse("matchmaking:signup"))
    skip_to_main(page)
    # Text fields: type; selects: type the option's first letters; checkbox: Space.
    for selector, keys in [
        ("#id_email", email),
        ("#id_password1", PASSWORD),
        ("#id_password2", PASSWORD),
        ("#id_name", "Clavier Robotics GmbH"),
        ("#id_country", "Germany"),
        ("#id_kind", "SME"),
        ("#id_website", "https://clavier.example.eu"),
        ("#id_description", "Robot grippers."),
    ]:
        tab_to(page, selector, limit=4)
        page.keyboard.type(keys)
    tab_to(page, "#id_consent", limit=2)
    page.keyboard.press("Space")
    expect(page.locator("#id_country")).to_have_value("DE")
    expect(page.locator("#id_kind")).to_have_value("sme")
    expect(page.locator("#id_consent")).to_be_checked()
    screenshot(page, "keyboard-1-signup")
    tab_to(page, "main form button[type=submit]", limit=3)
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/interests/new/(#main)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("What are you looking for in Mexico?")
    page.wait_for_load_state("load")
    aerospace = Sector.objects.get(slug="aerospace").pk
    baja = State.objects.get(code="MX-BCN").pk
    # From the top of the page, or from the main content when the redirect kept "#main".
    tab_to(page, "#id_title", limit=25)
    page.keyboard.type("Grippers for aerospace in Baja California")
    tab_to(page, f"input[name=sectors][value='{aerospace}']", limit=40)
    page.keyboard.press("Space")
    tab_to(page, f"input[name=states][value='{baja}']", limit=40)
    page.keyboard.press("Space")
    tab_to(page, "input[name=kinds][value=technology]", limit=40)
    page.keyboard.press("Space")
    tab_to(page, "#id_description", limit=10)
    page.keyboard.type("Robot grippers for composite parts.")
    screenshot(page, "keyboard-2-interest")
    tab_to(page, "main form button[type=submit]", limit=3)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Grippers for aerospace in Baja California"
    )
    interest = Interest.objects.get(organisation__user__email=email)
    assert [s.slug for s in interest.sectors.all()] == ["aerospace"]
    assert [s.code for s in interest.states.all()] == ["MX-BCN"]
    assert interest.kinds == ["technology"]
