"""Real-browser tests: Playwright's sync API driving Debian's Chromium against pytest-django's
live server (the test database; static files served by ``StaticFilesHandler``).

Nothing is downloaded: the browser is ``/usr/bin/chromium`` (``scripts/test.sh`` installs
Debian's package when it is absent; ``$CHROMIUM`` overrides the path), never one fetched by
``playwright install``. Nothing leaves the machine: every page of every context aborts any
request to a host other than 127.0.0.1/localhost, and the test fails if one was attempted.
It also fails on an uncaught JavaScript error, a Content-Security-Policy violation or a static
file that did not load.

Screenshots go to ``var/screenshots/``; the README's images (``docs/screenshots/``) are copies
of the best of them.
"""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

# The live server listens on 127.0.0.1 only (read when the session's live server starts).
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

import pytest  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright  # noqa: E402

from matchmaking.models import Interest, Organisation  # noqa: E402
from tests.factories import PASSWORD, make_interest, make_organisation  # noqa: E402, F401

# A real Redis and real Celery worker processes (tests/matchmaking/conftest.py).
from tests.matchmaking.conftest import beat, celery_broker, redis_server, worker  # noqa: E402, F401
from tests.realservices import ROOT  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
SCREENSHOTS = ROOT / "var" / "screenshots"


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch):
    """Playwright's sync API keeps an event loop running in this thread, and Django's ORM
    refuses to run in a thread with a running loop unless DJANGO_ALLOW_ASYNC_UNSAFE is set.
    Set only for these tests: it is process-wide, and `check --deploy` (run by another test in
    a subprocess) rightly refuses it."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser() -> Browser:
    """Chromium, per test: Playwright stopped leaves no running loop behind for the tests
    that follow."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: scripts/test.sh installs Debian's chromium package "
            "(or set CHROMIUM to a Chromium executable)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Guard:
    """What the pages of a context did that a test must not allow."""

    blocked: list[str] = field(default_factory=list)  # requests to another host
    errors: list[str] = field(default_factory=list)  # JS errors, CSP violations, bad statics

    def check(self) -> None:
        assert not self.blocked, f"pages tried to reach outside 127.0.0.1: {self.blocked}"
        assert not self.errors, "errors in the browser:\n" + "\n".join(self.errors)


def install_guard(context: BrowserContext) -> Guard:
    """Abort and record requests to other hosts; record JS errors, CSP violations, bad statics."""
    guard = Guard()

    def route(route):
        url = route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            guard.blocked.append(url)
            route.abort()

    def console(message):
        text = message.text
        # A 4xx page visited on purpose logs "Failed to load resource"; statics are checked
        # on the response instead.
        if message.type == "error" and not text.startswith("Failed to load resource"):
            guard.errors.append(f"console: {text}")

    def response(response):
        if "/static/" in response.url and response.status >= 400:
            guard.errors.append(f"static file {response.url}: HTTP {response.status}")

    def watch(page: Page):
        page.on("console", console)
        page.on("pageerror", lambda error: guard.errors.append(f"page error: {error}"))
        page.on("response", response)

    context.route("**/*", route)
    context.on("page", watch)
    return guard


@pytest.fixture
def new_context(browser, live_server, transactional_db):
    """Make guarded browser contexts (one per person in a journey); checked at teardown,
    before the database is flushed."""
    made: list[tuple[BrowserContext, Guard]] = []

    def make(**options) -> BrowserContext:
        options = {"viewport": VIEWPORT, "locale": "en-GB", **options}
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(15_000)
        made.append((context, install_guard(context)))
        return context

    yield make
    for context, _ in made:
        context.close()
    for _, context_guard in made:
        context_guard.check()


@pytest.fixture
def page(new_context) -> Page:
    return new_context().new_page()


def screenshot(page: Page, name: str, *, top: bool = False, full_page: bool = False) -> Path:
    """Save ``var/screenshots/<name>.png``: the viewport (1280×800) as it is, or from the top
    of the page, or the ``full_page``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if top:
        page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path


@pytest.fixture
def briefing_loaded(transactional_db):
    """The briefing, committed, so the live server (and a worker) can see it."""
    call_command("load_briefing", verbosity=0)


def verified_sme(email: str, *, name: str = "Aerotech Toulouse SAS") -> Organisation:
    """A registered, verified SME (as sign-up and verification leave it)."""
    return make_organisation(
        email=email,
        name=name,
        country="FR",
        kind=Organisation.Kind.SME,
        email_verified_at=timezone.now(),
    )


def aerospace_interest(organisation: Organisation, *, sectors, states, **fields) -> Interest:
    """An interest stored directly (nothing enqueued), not matched yet: its suggestions are
    computed by the caller, in-process or by a worker."""
    defaults = {
        "title": "Aerospace suppliers in Baja California",
        "kinds": [Interest.Kind.TECHNOLOGY, Interest.Kind.SUPPLY_CHAIN],
        "description": "Turbine parts, composites and aircraft interiors; MRO services.",
    }
    return make_interest(
        organisation, sectors=sectors, states=states, matched=False, **(defaults | fields)
    )


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/(dashboard|my-clusters)/"))  # a manager lands on theirs


def log_in_admin(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/admin/login/?next=/admin/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(password)
    page.locator("input[type=submit]").click()
    page.wait_for_url(re.compile(r"/admin/$"))
