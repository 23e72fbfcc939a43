"""The public privacy policy in a real browser: Debian's Chromium, driven by Playwright.

A visitor who never signed in opens ``/privacy-policy``, searches the register for a named
recipient, pages through the whole register by its next link, filters by country and switches
to English; axe-core checks every page for serious and critical accessibility problems, as in
:mod:`tests.test_browser_privacy`. Without Chromium, Playwright or axe-core the test is
skipped, unless GATEHOUSE_REQUIRE_BROWSER=1 (as in CI), where it fails instead.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from tests.conftest import Fresh
from tests.support.operator_profiles import profile_body
from tests.support.register_rows import RegisterRows
from tests.support.server import operator_api
from tests.test_browser_portal import Steps, chromium  # noqa: F401
from tests.test_browser_privacy import axe_source, context, violations  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

COUNTRIES = ("CN", "US", "JP", "VN", "SG")
# More recipients than three pages of ten hold, so the walk crosses several next links.
RECIPIENTS = 32
PAGE = 10


def _shown(page: Page) -> list[str]:
    rows = page.locator("tr.entry")
    return [str(rows.nth(i).get_attribute("data-recipient-id")) for i in range(rows.count())]


def test_a_visitor_reads_searches_and_pages_the_policy(
    fresh: Fresh,
    context: BrowserContext,  # noqa: F811
    axe_source: str,  # noqa: F811
) -> None:
    rows = RegisterRows(fresh.gatehouse.engine)
    ids = [
        rows.recipient(f"Seller {n:02d} Trading", country=COUNTRIES[n % len(COUNTRIES)])
        for n in range(RECIPIENTS)
    ]
    named = rows.recipient("Osaka Parcel K.K.", country="JP", kind="logistics")
    found: dict[str, list[dict[str, Any]]] = {}
    with operator_api(fresh.gatehouse) as (server, api):
        assert api.put("/v1/operator/profile", json=profile_body()).status_code == 200
        assert api.post("/v1/privacy-policy/publish").status_code == 200
        page = context.new_page()
        steps = Steps(page, f"policy-{fresh.backend.name}")

        # 1. No sign-in: the policy in force, in Korean.
        response = page.goto(f"{server.url}/privacy-policy?limit={PAGE}")
        assert response is not None and response.status == 200
        assert page.get_attribute("html", "lang") == "ko"
        assert page.get_by_role("heading", level=1).inner_text() == "개인정보 처리방침"
        assert page.get_by_role("heading", name="16. 권익침해 구제방법").count() == 1
        assert context.cookies() == []
        found["policy"] = violations(page, axe_source)
        steps.shot("policy")

        # 2. Search by name from the labelled field.
        page.get_by_label("이전받는 자의 명칭").fill("osaka")
        with page.expect_navigation():
            page.get_by_role("button", name="검색").click()
        assert _shown(page) == [named]
        assert page.locator("tr.entry .entry-name").inner_text() == "Osaka Parcel K.K."
        assert page.locator("#register-matched").inner_text() == "조건에 맞는 이전받는 자: 1곳"
        found["search"] = violations(page, axe_source)
        steps.shot("search")

        # 3. Every recipient exactly once, by following the next link from the first page.
        with page.expect_navigation():
            page.get_by_role("link", name="검색 해제").click()
        seen = Counter(_shown(page))
        pages = 1
        while page.locator("#register-next").count():
            with page.expect_navigation():
                page.get_by_role("link", name="다음 페이지").click()
            assert f"limit={PAGE}" in page.url
            seen.update(_shown(page))
            pages += 1
        assert set(seen) == {*ids, named} and set(seen.values()) == {1}
        assert pages == -(-(RECIPIENTS + 1) // PAGE)
        found["last-page"] = violations(page, axe_source)
        steps.shot("last-page")

        # 4. A country's link shows its recipients only.
        page.get_by_role("link", name="베트남 (VN)").click()
        page.wait_for_url(re.compile(r".*country=VN.*"))
        countries = {
            page.locator("tr.entry").nth(i).get_attribute("data-country")
            for i in range(page.locator("tr.entry").count())
        }
        assert countries == {"VN"}

        # 5. English, with the filter kept.
        page.get_by_role("link", name="English").click()
        page.wait_for_url(re.compile(r".*lang=en.*"))
        assert page.get_attribute("html", "lang") == "en"
        assert page.get_by_role("heading", level=1).inner_text() == "Privacy policy"
        assert "country=VN" in page.url
        assert page.locator("#register-matched").inner_text().endswith("recipients match.")
        found["english"] = violations(page, axe_source)
        steps.shot("english")
    assert found == {name: [] for name in found}, found
