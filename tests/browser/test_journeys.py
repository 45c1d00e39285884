"""The three journeys of issue 6, in a real browser against a live server and a real worker."""

import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import Page, expect

from matchmaking.matching.suggest import rescore_interest
from matchmaking.models import Interest, Suggestion
from tests.browser.conftest import (
    PASSWORD,
    aerospace_interest,
    log_in,
    log_in_admin,
    screenshot,
    verified_sme,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SUGGESTIONS_TIMEOUT_MS = 90_000  # the worker scores in well under a second; poll.js every 0.5 s


def reload_until(page: Page, condition, *, timeout: float = 60, what: str) -> None:
    """Reload ``page`` until ``condition(page)`` holds, as a user pressing F5 would."""
    deadline = time.monotonic() + timeout
    while not condition(page):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(1)
        page.reload()


# --- 1. A visitor --------------------------------------------------------------------------


def test_visitor_filters_the_directory_opens_a_cluster_and_sees_the_map(page, briefing_loaded):
    page.goto("/clusters/")
    expect(page).to_have_title(re.compile("Mexican clusters"))
    # The stylesheet loaded (served by the live server's static handler).
    header = page.locator(".site-header")
    expect(header).to_have_css("background-color", "rgb(8, 63, 118)")
    everything = page.locator("table.clusters tbody tr").count()

    filters = page.get_by_role("search", name="Filter clusters")
    filters.get_by_label("Sector").select_option(label="Aerospace")
    filters.get_by_label(re.compile(r"^State")).select_option(label="Baja California")
    filters.get_by_label("Search").fill("cluster aeroespacial")  # no accent: "Clúster Aeroespacial"
    filters.get_by_role("button", name="Show clusters").click()

    expect(page).to_have_url(re.compile(r"sector=aerospace"))
    expect(page).to_have_url(re.compile(r"state=MX-BCN"))
    expect(page.locator(".result-count")).to_have_text(re.compile(r"1 cluster found"))
    rows = page.locator("table.clusters tbody tr")
    expect(rows).to_have_count(1)
    assert everything > 1
    screenshot(page, "journey1-1-directory-filtered")

    rows.get_by_role("link", name="Clúster Aeroespacial").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Clúster Aeroespacial")
    profile = page.locator("dl.facts")
    expect(profile).to_contain_text("Baja California")
    expect(profile).to_contain_text("Aerospace")
    screenshot(page, "journey1-2-cluster")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Map").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Clusters on the map")
    states = page.locator("svg.map path.state")
    expect(states).to_have_count(32)
    baja = page.locator("svg.map path[data-code='MX-BCN']")
    assert int(baja.get_attribute("data-count")) >= 2
    box = baja.bounding_box()
    assert box and box["width"] > 20 and box["height"] > 20, "the map is not drawn"
    screenshot(page, "journey1-3-map")

    # Each state on the map links to its page.
    page.get_by_role("link", name=re.compile(r"^Baja California: \d+ clusters$")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Baja California")
    expect(page.get_by_role("link", name="Clúster Aeroespacial")).to_be_visible()


# --- 2. A European SME ---------------------------------------------------------------------


def sign_up(page: Page, email: str) -> None:
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign up your organisation")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_label("Organisation name").fill("Aerotech Toulouse SAS")
    page.get_by_label("Country").select_option(label="France")
    page.get_by_label("Kind of organisation").select_option(label="SME")
    page.get_by_label("Website").fill("aerotech-toulouse.example.eu")
    page.get_by_label("About your organisation").fill(
        "Composite parts and cabin interiors for regional aircraft."
    )
    page.get_by_label(re.compile("I agree that my organisation's data")).check()
    screenshot(page, "journey2-1-signup", top=True)
    page.get_by_role("button", name="Create the account").click()


def fill_interest(page: Page) -> None:
    page.get_by_label("Title").fill("Aerospace suppliers in Baja California")
    page.get_by_role("group", name="Sectors").get_by_label("Aerospace", exact=True).check()
    states = page.get_by_role("group", name=re.compile("Target Mexican states"))
    states.get_by_label("Baja California", exact=True).check()
    kinds = page.get_by_role("group", name="Kinds of cooperation")
    kinds.get_by_label("Technology & R&D partnership").check()
    kinds.get_by_label("Supply chain").check()
    page.get_by_label(re.compile("^Description")).fill(
        "Turbine parts, composites and aircraft interiors; we look for MRO partners."
    )


def test_sme_signs_up_verifies_adds_an_interest_and_marks_suggestions(
    new_context, briefing_loaded, worker
):
    page = new_context().new_page()
    email = "ana.martin@aerotech-toulouse.example.eu"
    sign_up(page, email)

    # Signed up and logged in: on to the first interest, with a message about the email.
    expect(page).to_have_url(re.compile(r"/interests/new/$"))
    expect(page.get_by_role("status").first).to_contain_text(f"We sent a link to {email}")

    # Verify the address with the link from the email.
    assert len(mail.outbox) == 1, [message.subject for message in mail.outbox]
    message = mail.outbox[0]
    assert message.to == [email]
    link = re.search(r"https?://\S+/verify/\S+/", message.body).group(0)
    assert link.startswith(page.url.split("/interests/")[0]), link  # the live server's address
    page.goto(link)
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("status").first).to_contain_text(f"{email} is verified")
    expect(page.get_by_role("region", name="Email verification")).to_have_count(0)

    # State the interest: aerospace in Baja California.
    page.get_by_role("link", name="State your first interest").click()
    fill_interest(page)
    screenshot(page, "journey2-2-interest-form", top=True)
    page.get_by_role("button", name="Save and find clusters").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Aerospace suppliers in Baja California"
    )

    # The worker computes the suggestions; poll.js reloads the page when they are ready.
    suggestions = page.locator("ol.suggestions > li.suggestion")
    expect(suggestions.first).to_be_visible(timeout=SUGGESTIONS_TIMEOUT_MS)
    interest = Interest.objects.get(organisation__user__email=email)
    assert interest.matched_at is not None
    first = suggestions.first
    expect(first.get_by_role("heading", level=3)).to_have_text(
        re.compile("Aerospace Alliance of Baja California|Clúster Aeroespacial")
    )
    reasons = first.get_by_role("list", name="Why")
    expect(reasons).to_contain_text("Same sector: Aerospace")
    expect(reasons).to_contain_text("In your target state Baja California")
    expect(first).to_contain_text(re.compile(r"Score \d+/100"))

    # On the dashboard: mark one interested and one not relevant.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your dashboard")
    cards = page.locator("li.suggestion")
    count = cards.count()
    assert count >= 3
    names = cards.get_by_role("heading", level=3).all_inner_texts()
    liked, dismissed = names[0], names[-1]
    screenshot(page, "journey2-3-dashboard")

    page.get_by_role("button", name=f"Interested in {liked}", exact=True).click()
    liked_card = cards.filter(has=page.get_by_role("heading", name=liked, exact=True))
    expect(liked_card.get_by_text("You are interested")).to_be_visible()
    expect(page.get_by_role("status").first).to_contain_text(f"Marked “{liked}” interesting")

    page.get_by_role("button", name=f"{dismissed} is not relevant", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text(f"Marked “{dismissed}” not relevant")
    expect(page.get_by_role("heading", name=dismissed, exact=True)).to_have_count(0)
    expect(cards).to_have_count(count - 1)
    screenshot(page, "journey2-4-dashboard-marked")

    page.reload()
    expect(page.get_by_role("heading", name=dismissed, exact=True)).to_have_count(0)
    expect(liked_card.get_by_text("You are interested")).to_be_visible()
    statuses = dict(
        Suggestion.objects.filter(interest=interest).values_list("cluster__name", "status")
    )
    assert statuses[liked] == Suggestion.Status.INTERESTED
    assert statuses[dismissed] == Suggestion.Status.NOT_RELEVANT

    # The interest's page lists it among those marked not relevant, to restore if wanted.
    page.get_by_role("link", name="Aerospace suppliers in Baja California").click()
    dismissed_section = page.get_by_role("region", name="Marked not relevant")
    expect(dismissed_section.get_by_role("link", name=dismissed)).to_be_visible()


def test_a_marked_suggestion_far_down_the_dashboard_stays_in_sight_with_its_confirmation(
    page, briefing_loaded
):
    organisation = verified_sme("ops@aerotech-toulouse.example.eu")
    interest = aerospace_interest(organisation, sectors=["aerospace"], states=["MX-BCN"])
    rescore_interest(interest.pk)
    page.set_viewport_size({"width": 1280, "height": 500})  # the last card is below the fold
    log_in(page, "ops@aerotech-toulouse.example.eu")
    last = page.locator("li.suggestion").last
    name = last.get_by_role("heading", level=3).inner_text()
    expect(last).not_to_be_in_viewport()

    last.get_by_role("button", name=f"Interested in {name}", exact=True).click()

    # The page opens scrolled to the card, and the confirmation is in the card, in sight.
    card = page.locator("li.suggestion").filter(
        has=page.get_by_role("heading", name=name, exact=True)
    )
    expect(card.get_by_text("You are interested")).to_be_in_viewport()
    confirmation = page.get_by_role("status").filter(has_text=f"Marked “{name}” interesting")
    expect(confirmation).to_be_in_viewport()
    assert page.evaluate("window.scrollY") > 0
    box, heading = confirmation.bounding_box(), card.get_by_role("heading", level=3).bounding_box()
    outline = card.bounding_box()
    # Inside the card, below its name: beside what was marked, over nothing.
    assert heading["y"] + heading["height"] <= box["y"]
    assert outline["y"] <= box["y"] and box["y"] + box["height"] <= outline["y"] + outline["height"]
    assert card.locator(".card-message").count() == 1
    screenshot(page, "journey2-5-marked-far-down")


# --- 3. An admin ---------------------------------------------------------------------------

FURNITURE_CLUSTER = "Cluster Mueblero Baja California (AFAMBAC)"


def test_admin_edits_a_cluster_sector_and_the_users_suggestions_change(
    new_context, briefing_loaded, worker
):
    # A European SME with suggestions for aerospace in Baja California.
    organisation = verified_sme("ops@aerotech-toulouse.example.eu")
    interest = aerospace_interest(organisation, sectors=["aerospace"], states=["MX-BCN"])
    rescore_interest(interest.pk)
    get_user_model().objects.create_superuser(
        username="staff@programme.example.eu", email="staff@programme.example.eu",
        password=PASSWORD,
    )  # fmt: skip

    user = new_context().new_page()
    log_in(user, "ops@aerotech-toulouse.example.eu")
    expect(user.locator("li.suggestion").first).to_be_visible()
    furniture = user.get_by_role("heading", level=3, name=FURNITURE_CLUSTER)
    expect(furniture).to_have_count(0)

    # The admin adds the aerospace sector to Baja California's furniture cluster.
    admin = new_context().new_page()
    log_in_admin(admin, "staff@programme.example.eu")
    admin.get_by_role("link", name="Clusters", exact=True).click()
    admin.locator("#searchbar").fill("Mueblero")
    admin.locator("#searchbar").press("Enter")
    admin.get_by_role("link", name=FURNITURE_CLUSTER).click()
    expect(admin.locator("#id_name")).to_have_value(FURNITURE_CLUSTER)
    sectors = admin.locator(".field-sectors .select2-container")
    expect(sectors.locator(".select2-selection__choice")).to_have_count(1)
    sectors.locator(".select2-search__field").click()
    sectors.locator(".select2-search__field").fill("Aerosp")
    admin.locator(".select2-results__option", has_text="Aerospace").first.click()
    expect(sectors.locator(".select2-selection__choice")).to_have_count(2)
    screenshot(admin, "journey3-1-admin-cluster-sectors")
    admin.locator("input[name=_save]").click()
    expect(admin.locator(".messagelist")).to_contain_text("was changed successfully")

    # The real worker re-scores the interests the change affects; the user sees it.
    reload_until(
        user,
        lambda page: page.get_by_role("heading", level=3, name=FURNITURE_CLUSTER).count(),
        what="the furniture cluster to be suggested",
    )
    card = user.locator("li.suggestion").filter(
        has=user.get_by_role("heading", level=3, name=FURNITURE_CLUSTER)
    )
    reasons = card.get_by_role("list", name="Why")
    expect(reasons).to_contain_text("Same sector: Aerospace")
    expect(reasons).to_contain_text("In your target state Baja California")
    card.scroll_into_view_if_needed()
    screenshot(user, "journey3-2-dashboard-after-admin-edit")
    assert Suggestion.objects.filter(
        interest=interest, cluster__name=FURNITURE_CLUSTER, is_current=True
    ).exists()
