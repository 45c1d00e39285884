"""Issue 17's journey: staff create an event, two participants register, one asks the other
for a meeting, it is accepted, the scheduler runs in a real worker, both agendas show the
same meeting, and the iCalendar file parses in the event's time zone."""

import re

import icalendar
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from clusters.models import Claim, Cluster
from tests.browser.conftest import (
    PASSWORD,
    log_in,
    log_in_admin,
    make_interest,
    screenshot,
    verified_sme,
)
from tests.browser.test_accessibility import FAILING_IMPACTS, axe_violations, describe
from tests.browser.test_journeys import reload_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def assert_accessible(page) -> None:
    """No serious or critical axe-core violation on the page as it is."""
    failing = [v for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS]
    assert not failing, describe(page.url, failing)


def test_staff_create_an_event_two_participants_meet_and_share_one_agenda_entry(
    new_context, briefing_loaded, worker
):
    get_user_model().objects.create_superuser(
        username="staff@programme.example.eu", email="staff@programme.example.eu",
        password=PASSWORD,
    )  # fmt: skip
    organisation = verified_sme("ops@aerotech-toulouse.example.eu")
    make_interest(organisation, sectors=["aerospace"], states=["MX-BCN"])
    cluster = (
        Cluster.objects.published().filter(sectors__slug="aerospace", state__code="MX-BCN").first()
    )
    manager = get_user_model().objects.create_user(
        username="director@cluster.example.mx", email="director@cluster.example.mx",
        password=PASSWORD,
    )  # fmt: skip
    Claim.objects.create(
        user=manager, cluster=cluster, name="Ana", role="Director",
        work_email="director@cluster.example.mx", consent_at=timezone.now(),
        consent_version="2026-11", status=Claim.Status.APPROVED,
    )  # fmt: skip

    # Staff create the event.
    staff = new_context().new_page()
    log_in_admin(staff, "staff@programme.example.eu")
    staff.goto("/events/staff/new/")
    staff.get_by_label("Name").fill("EU-Mexico aerospace brokerage")
    staff.get_by_label("City").fill("Tijuana")
    staff.get_by_label("Time zone").select_option("America/Tijuana")
    staff.get_by_label("Registration deadline").fill("2099-10-01T18:00")
    staff.get_by_label("Participant list published").check()
    staff.get_by_label("Days").fill("2099-10-20")
    staff.get_by_label("Meetings start").fill("09:00")
    staff.get_by_label("Meetings end").fill("11:00")
    staff.get_by_label("Tables").fill("Mesa 1, Mesa 2")
    screenshot(staff, "events-1-staff-create", full_page=True)
    assert_accessible(staff)
    staff.get_by_role("button", name="Create the event").click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Manage EU-Mexico aerospace")
    event_url = staff.url.replace("/staff", "")

    # The organisation and the cluster register.
    sme = new_context().new_page()
    log_in(sme, "ops@aerotech-toulouse.example.eu")
    director = new_context().new_page()
    log_in(director, "director@cluster.example.mx")
    for page in (sme, director):
        page.goto(event_url)
        page.get_by_role("link", name="Register").click()
        page.get_by_label(re.compile(r"2099-10-20 09:00")).check()
        page.get_by_label("Most meetings you want").fill("6")
        assert_accessible(page)
        page.get_by_role("button", name="Register").click()
        expect(page.get_by_role("status")).to_contain_text("You are registered")

    # The organisation sees the cluster suggested, with its score and reasons, and asks.
    sme.goto(event_url)
    card = sme.locator(".participants > li").filter(has_text=cluster.name)
    expect(card.get_by_text("Suggested for you")).to_be_visible()
    expect(card).to_contain_text("Same sector: Aerospace")
    card.get_by_label(re.compile("Message to")).fill("We make turbine parts; shall we meet?")
    screenshot(sme, "events-2-participants")
    assert_accessible(sme)
    card.get_by_role("button", name="Request a meeting").click()
    expect(sme.get_by_role("status")).to_contain_text("Request sent")

    # The cluster accepts.
    director.goto(event_url)
    director.get_by_role("link", name=re.compile("^Requests of")).click()
    director.get_by_role("link", name="Answer").click()
    expect(director.get_by_text("We make turbine parts")).to_be_visible()
    assert_accessible(director)
    director.get_by_role("button", name="Accept").click()
    expect(director.get_by_role("status")).to_contain_text("Meeting accepted")

    # Staff run the scheduler; a real worker solves it; the page follows its progress.
    staff.reload()
    staff.get_by_role("button", name="Schedule 1 accepted request").click()
    reload_until(staff, lambda page: page.locator("#scheduled").count(), what="the run's result")
    expect(staff.locator("#scheduled")).to_contain_text("1 meetings scheduled")
    screenshot(staff, "events-3-scheduler-run")
    assert_accessible(staff)
    staff.get_by_role("link", name="EU-Mexico aerospace brokerage").click()
    assert_accessible(staff)  # the staff page: check-in, meetings with their move forms
    staff.get_by_role("link", name="Table plan").click()
    expect(staff.locator("table.table-plan tbody tr")).to_have_count(1)
    assert_accessible(staff)

    # Both agendas show the same meeting, at the same time and table.
    rows = []
    for page, other in ((sme, cluster.name), (director, organisation.name)):
        page.goto(event_url)
        page.get_by_role("link", name=re.compile("^Agenda of")).click()
        row = page.locator("table.agenda tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(other)
        cells = row.locator("td")
        rows.append((cells.nth(0).inner_text(), cells.nth(1).inner_text()))
    assert rows[0] == rows[1]
    assert rows[0][0].startswith("2099-10-20 ")
    screenshot(sme, "events-4-agenda")
    assert_accessible(sme)
    sme.set_viewport_size({"width": 390, "height": 844})
    screenshot(sme, "events-5-agenda-phone", full_page=True)
    assert_accessible(sme)
    sme.set_viewport_size({"width": 1280, "height": 800})

    # The iCalendar file parses, in the event's time zone.
    with sme.expect_download() as download:
        sme.get_by_role("link", name="Download (iCalendar)").click()
    calendar = icalendar.Calendar.from_ical(open(download.value.path(), "rb").read())
    (entry,) = calendar.walk("VEVENT")
    start = entry.decoded("dtstart")
    assert str(start.tzinfo) == "America/Tijuana"
    assert f"{start:%Y-%m-%d %H:%M}" == rows[0][0].split("–")[0]
    assert cluster.name in str(entry["summary"]) and rows[0][1] in str(entry["summary"])
