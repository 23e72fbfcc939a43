"""The list of all transfers in a real browser: reached from home, paged, and accessible.

Chromium driven by Playwright, with axe-core checking for serious and critical problems, as in
:mod:`tests.test_browser_privacy` (skipped without them unless GATEHOUSE_REQUIRE_BROWSER=1).
The home page's and the list's sizes are shrunk, so a few transfers stand for many.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from gatehouse.web import privacy_content
from tests.conftest import Backend, LiveServer
from tests.support.gateway import allowed_transfer
from tests.test_browser_portal import Steps, chromium  # noqa: F401
from tests.test_browser_privacy import axe_source, context, enter, people, violations  # noqa: F401
from tests.test_web_privacy import Person

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext


def test_all_transfers_page_by_page_from_home(
    context: BrowserContext,  # noqa: F811
    people: Callable[..., Person],  # noqa: F811
    api: httpx.Client,
    live_server: LiveServer,
    backend: Backend,
    axe_source: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(privacy_content, "HOME_TRANSFERS", 2)
    monkeypatch.setattr(privacy_content, "TRANSFER_PAGE", 2)
    person = people()
    for seller in person.sellers:
        person.transfers.append(allowed_transfer(api, person.subject_id, seller)[1])
    page = context.new_page()
    steps = Steps(page, f"privacy-{backend.name}-transfers")
    enter(page, live_server.url, person)
    found: dict[str, list[dict[str, Any]]] = {"home": violations(page, axe_source)}
    assert page.locator("#request-transfer option").count() == 3  # "none" and the two newest
    assert page.locator("#request-transfer-more").is_visible()
    with page.expect_navigation():
        page.locator("#all-transfers").click()
    assert page.url == f"{live_server.url}/privacy/transfers"
    assert page.get_by_role("heading", level=1).inner_text() == "내 정보 이전 내역 전체"
    found["list"] = violations(page, axe_source)
    steps.shot("first")
    seen = []
    while True:
        rows = page.locator("tr.transfer")
        seen += [rows.nth(i).get_attribute("data-transfer-id") for i in range(rows.count())]
        following = page.locator("#next-transfers")
        if following.count() == 0:
            break
        with page.expect_navigation():
            following.click()
    assert sorted(str(t) for t in seen) == sorted(person.transfers) and len(seen) == 5
    steps.shot("last")
    # Ask about the last (oldest) one: the home page's form comes back with it chosen.
    with page.expect_navigation():
        page.locator("a.request-about").last.click()
    assert page.locator("#request-transfer").input_value() == seen[-1]
    found["home-chosen"] = violations(page, axe_source)
    steps.shot("chosen")
    assert {name: v for name, v in found.items() if v} == {}
