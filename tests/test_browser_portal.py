"""The recipient portal in a real browser: Debian's Chromium, driven by Playwright.

A seller signs in with its key from the keyboard, opens a view (masked name, safe number),
acknowledges an erasure request, switches to Korean and signs out. Each step leaves a
screenshot in ``artifacts/screenshots/``. Without Chromium or Playwright the test is skipped,
unless GATEHOUSE_REQUIRE_BROWSER=1 (as in CI), where it fails instead.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import httpx
import pytest

from tests.conftest import Backend, LiveServer, repo_root
from tests.test_web_portal import SAFE_NUMBER, open_view, pending_erasure, view_reads

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = repo_root() / "artifacts" / "screenshots"


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("GATEHOUSE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (GATEHOUSE_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, started once for this module."""
    try:
        # Imported here so that a missing Playwright is a skip (or a CI failure), not an error.
        sync_api = importlib.import_module("playwright.sync_api")
    except ImportError as exc:
        _unavailable(f"Playwright is not installed: {exc}")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"{CHROMIUM} is missing; install Debian's chromium package")
    with sync_api.sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
        except sync_api.Error as exc:
            _unavailable(f"Chromium did not start: {exc}")
        try:
            yield browser
        finally:
            browser.close()


class Steps:
    """Numbered screenshots of one run, named after the backend it ran on."""

    def __init__(self, page: Page, prefix: str) -> None:
        self.page = page
        self.prefix = prefix
        self.count = 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shot(self, name: str) -> None:
        self.count += 1
        path = SCREENSHOTS / f"{self.prefix}-{self.count:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)


def test_a_seller_reads_a_view_and_acknowledges_an_erasure_in_chromium(
    chromium: Browser, api: httpx.Client, live_server: LiveServer, backend: Backend
) -> None:
    scenario = open_view(api, live_server.url)
    erasure_id = pending_erasure(api, scenario.seller_id)
    context = chromium.new_context(locale="en-US", viewport={"width": 1100, "height": 800})
    page = context.new_page()
    steps = Steps(page, f"portal-{backend.name}")
    try:
        # 1. The portal sends a visitor without a session to the sign-in form.
        page.goto(f"{live_server.url}/recipient")
        assert page.url == f"{live_server.url}/recipient/login"
        assert page.get_attribute("html", "lang") == "en"
        steps.shot("login")

        # 2. Signing in from the keyboard alone: the key field has focus, Enter sends the form.
        page.keyboard.type(scenario.api_key)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url == f"{live_server.url}/recipient"
        cookie = next(c for c in context.cookies() if c["name"] == "gh_portal")
        assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
        assert page.evaluate("document.cookie") == ""  # HttpOnly: no script can read it
        steps.shot("dashboard")

        # 3. The view: masked name, safe number, and exactly one ledgered read.
        before = view_reads(api, scenario.subject_id)
        page.get_by_role("link", name=scenario.order_ref).click()
        page.wait_for_url(f"**/recipient/transfers/{scenario.transfer_id}")
        assert page.inner_text("#field-name") == "홍*동"
        assert SAFE_NUMBER.fullmatch(page.inner_text("#field-phone"))
        assert "2468-1357" not in page.content()
        assert view_reads(api, scenario.subject_id) == before + 1
        steps.shot("view")

        # 4. The erasure request is pending, with its own Acknowledge form.
        page.get_by_role("link", name="Erasure requests").click()
        page.wait_for_url("**/recipient/erasures")
        request = page.locator(f"#erasure-{erasure_id}")
        assert request.locator("[data-status]").inner_text() == "Pending"
        request.get_by_label("Statement (optional)").fill("Erased from orders and backups.")
        steps.shot("erasure-pending")
        with page.expect_navigation():
            request.get_by_role("button", name="Acknowledge").click()

        # 5. Acknowledged, and the form is gone.
        assert page.get_by_role("status").first.inner_text().startswith("Thank you")
        request = page.locator(f"#erasure-{erasure_id}")
        assert request.locator("[data-status]").get_attribute("data-status") == "acknowledged"
        assert request.locator("[data-status]").inner_text() == "Acknowledged"
        assert request.get_by_role("button", name="Acknowledge").count() == 0
        steps.shot("erasure-acknowledged")

        # 6. The same page in Korean, remembered on the next page.
        page.get_by_role("link", name="한국어").click()
        page.wait_for_url("**/recipient/erasures?lang=ko")
        assert page.get_attribute("html", "lang") == "ko"
        assert request.locator("[data-status]").inner_text() == "확인 완료"
        page.get_by_role("link", name="열람 가능한 주문").click()
        page.wait_for_url(re.compile(r".*/recipient$"))
        assert page.get_attribute("html", "lang") == "ko"
        steps.shot("korean")

        # 7. Signing out ends the session: the dashboard sends the browser back to sign in.
        with page.expect_navigation():
            page.get_by_role("button", name="로그아웃").click()
        assert "/recipient/login" in page.url
        page.goto(f"{live_server.url}/recipient")
        assert page.url.startswith(f"{live_server.url}/recipient/login")
        steps.shot("signed-out")
    finally:
        context.close()
    listed = httpx.get(
        f"{live_server.url}/v1/recipient/erasures",
        headers={"Authorization": f"Bearer {scenario.api_key}"},
    ).json()["items"]
    assert [item["status"] for item in listed if item["id"] == erasure_id] == ["acknowledged"]
