"""The API's docs page (/api/docs/): Swagger UI from the site's own files, under the site's
Content-Security-Policy, listing the schema's operations and calling one."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_docs_page_lists_the_operations_and_tries_one(page, briefing_loaded):
    page.goto("/api/docs/")
    operation = page.locator(".opblock-summary", has_text="/api/v1/states/")
    expect(operation).to_be_visible()
    for path in ("/api/v1/clusters/", "/api/v1/match-preview/", "/api/v1/me/suggestions/"):
        expect(
            page.locator(".opblock-summary-path", has_text=re.compile(f"^{path}$"))
        ).to_be_visible()
    operation.click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    answer = page.locator(".live-responses-table tbody td.response-col_status").first
    expect(answer).to_have_text(re.compile(r"^\s*200"))
    expect(page.locator(".live-responses-table")).to_contain_text("Nuevo León")
    screenshot(page, "api-docs")
    # The guard (tests/browser/conftest.py) fails the test on any CSP violation, script
    # error, static file that did not load or request to another host.
