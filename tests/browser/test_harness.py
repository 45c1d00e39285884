"""The browser harness itself: pages cannot leave 127.0.0.1, and CSP violations are caught."""

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import install_guard

pytestmark = pytest.mark.browser


def test_a_page_cannot_reach_another_host_and_csp_violations_are_recorded(
    browser, live_server, transactional_db
):
    context = browser.new_context(base_url=live_server.url)
    guard = install_guard(context)
    page = context.new_page()
    with pytest.raises(PlaywrightError):
        page.goto("http://example.org/")
    page = context.new_page()  # the first one is still showing Chromium's error page
    page.goto("/privacy/")
    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        page.evaluate(
            """() => {
                const script = document.createElement("script");
                script.textContent = "window.planted = true";
                document.body.append(script);
            }"""
        )
    assert page.evaluate("() => window.planted") is None  # the inline script did not run
    context.close()
    assert guard.blocked == ["http://example.org/"]
    assert any("Content Security Policy" in error for error in guard.errors)
