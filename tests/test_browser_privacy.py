"""The privacy center in a real browser: Debian's Chromium, driven by Playwright.

A customer opens the marketplace's link and sees who has their data, withdraws a consent,
complains about a transfer, switches language, and deletes the account in two clicks from
home. axe-core checks every page for serious and critical accessibility problems. Each test
leaves screenshots in ``artifacts/screenshots/``; the first one also refreshes the README's
picture of the home page. Without Chromium, Playwright or axe-core the tests are skipped,
unless GATEHOUSE_REQUIRE_BROWSER=1 (as in CI), where they fail instead.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.conftest import Backend, LiveServer, repo_root
from tests.support.gateway import new_order
from tests.test_browser_portal import Steps, _unavailable, chromium  # noqa: F401
from tests.test_web_privacy import Person, ledger_recipients, new_person

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

AXE = repo_root() / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
README_SHOT = repo_root() / "docs" / "privacy-center-home.png"
# Recipients as a reader of the README would meet them (the factory's are all alike).
EXAMPLE_RECIPIENTS: dict[str, dict[str, Any]] = {
    "JP": {
        "kind": "logistics",
        "legal_name": "Osaka Parcel K.K.",
        "contact_phone": "+81 6 6123 4567",
        "contact_email": "support@osaka-parcel.example.jp",
        "privacy_officer": {
            "name": "Sato Yui",
            "email": "privacy@osaka-parcel.example.jp",
            "phone": "+81 90 1234 5678",
        },
    },
    "US": {
        "legal_name": "Austin Fulfilment LLC",
        "contact_phone": "+1 512 481 0142",
        "contact_email": "help@austin-fulfilment.example.com",
        "privacy_officer": {
            "name": "Jordan Lee",
            "email": "privacy@austin-fulfilment.example.com",
            "phone": "+1 512 481 0143",
        },
    },
}
# What axe-core may find and still let a page pass: only minor and moderate findings.
BLOCKING = {"serious", "critical"}


@pytest.fixture
def people(api: httpx.Client, live_server: LiveServer) -> Iterator[Callable[..., Person]]:
    made: list[Person] = []

    def make(countries: tuple[str, ...] = ("CN", "JP"), **recipients: dict[str, Any]) -> Person:
        made.append(new_person(api, live_server.url, countries, recipients))
        return made[-1]

    yield make
    for someone in made:
        for seller in someone.sellers:
            seller.client.close()


@pytest.fixture
def context(chromium: Browser) -> Iterator[BrowserContext]:  # noqa: F811
    """A fresh Korean-speaking browser profile for each test."""
    browser_context = chromium.new_context(locale="ko-KR", viewport={"width": 1200, "height": 900})
    yield browser_context
    browser_context.close()


@pytest.fixture(scope="module")
def axe_source() -> str:
    """axe-core's browser build, as ``make test`` installs it."""
    if not AXE.is_file():
        _unavailable(f"axe-core is not installed at {AXE}; `make test` installs it")
    return AXE.read_text(encoding="utf-8")


def shown_recipients(page: Page) -> Counter[tuple[str, str]]:
    """(recipient id, country) of each row of the home page's recipients table."""
    rows = page.locator("tr.recipient")
    pairs = [
        (
            str(rows.nth(i).get_attribute("data-recipient-id")),
            str(rows.nth(i).get_attribute("data-country")),
        )
        for i in range(rows.count())
    ]
    return Counter(pairs)


def enter(page: Page, base_url: str, person: Person) -> None:
    """Follow the person's single-use link, as the marketplace's page would send them."""
    response = page.goto(f"{base_url}{person.link}")
    assert response is not None and response.status == 200
    assert page.url == f"{base_url}/privacy"
    assert page.get_attribute("html", "lang") == "ko"


def violations(page: Page, axe: str) -> list[dict[str, Any]]:
    """axe-core's serious and critical findings on the current page."""
    # Evaluated through the DevTools protocol, so the page's own CSP (no scripts) stays on.
    page.evaluate(axe)
    result = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)"
    )
    found = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
            "help": v["help"],
        }
        for v in result
        if v.get("impact") in BLOCKING
    ]
    return found


def test_who_has_my_data_matches_the_ledger(
    context: BrowserContext,
    people: Callable[..., Person],
    api: httpx.Client,
    live_server: LiveServer,
    backend: Backend,
) -> None:
    person = people(("CN", "JP", "US"), **EXAMPLE_RECIPIENTS)
    page = context.new_page()
    steps = Steps(page, f"privacy-{backend.name}-ledger")
    enter(page, live_server.url, person)
    cookie = next(c for c in context.cookies() if c["name"] == "gh_session")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie") == ""
    ledgered = ledger_recipients(api, person.subject_id)
    assert set(shown_recipients(page)) == set(ledgered)
    countries = Counter[str]()
    for (_recipient, country), count in ledgered.items():
        countries[country] += count
    table = page.locator("table.country-counts tbody tr")
    shown = {
        str(table.nth(i).get_attribute("data-country")): int(
            table.nth(i).locator("td").nth(1).inner_text()
        )
        for i in range(table.count())
    }
    assert shown == dict(countries)
    chart = page.get_by_role("img", name="국가별 내 정보 이전 건수")
    assert chart.count() == 1
    assert page.locator("#chart-countries g.bar").count() == len(countries)
    for seller in person.sellers:
        name = api.get(f"/v1/recipients/{seller.id}").json()["legal_name"]
        row = page.locator(f'tr[data-recipient-id="{seller.id}"]')
        assert row.locator(".recipient-name").inner_text() == name
    assert page.get_by_role("link", name="회원 탈퇴").is_visible()
    steps.shot("home")
    # The README's picture is refreshed only on request, so a test run leaves the tree clean.
    if os.environ.get("GATEHOUSE_UPDATE_DOCS") == "1":
        page.screenshot(path=str(README_SHOT), full_page=True)


def test_withdrawing_a_consent_stops_the_next_transfer(
    context: BrowserContext,
    people: Callable[..., Person],
    api: httpx.Client,
    live_server: LiveServer,
    backend: Backend,
) -> None:
    person = people()
    page = context.new_page()
    steps = Steps(page, f"privacy-{backend.name}-withdraw")
    enter(page, live_server.url, person)
    consent = page.locator(f"#consent-{person.consents[0]}")
    assert consent.locator(".consent-state").get_attribute("data-state") == "granted"
    steps.shot("before")
    with page.expect_navigation():
        consent.get_by_role("button", name="동의 철회").click()
    assert page.get_by_role("status").first.inner_text().startswith("동의를 철회했습니다")
    consent = page.locator(f"#consent-{person.consents[0]}")
    assert consent.locator(".consent-state").get_attribute("data-state") == "withdrawn"
    assert consent.get_by_role("button", name="동의 철회").count() == 0
    steps.shot("withdrawn")
    order_id = new_order(api, person.subject_id, person.sellers[0])
    refused = api.post(
        f"/v1/orders/{order_id}/transfers", json={"purpose": "fulfilment", "flow": "provision"}
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "no_lawful_basis"


def test_a_complaint_about_a_transfer_is_filed(
    context: BrowserContext,
    people: Callable[..., Person],
    api: httpx.Client,
    live_server: LiveServer,
    backend: Backend,
) -> None:
    person = people(("CN",))
    page = context.new_page()
    steps = Steps(page, f"privacy-{backend.name}-complaint")
    enter(page, live_server.url, person)
    page.get_by_label("어떤 요청인가요?").select_option("complaint")
    page.get_by_label("관련된 이전 (선택)").select_option(person.transfers[1])
    message = page.get_by_label("요청 내용")
    message.fill("주문하지 않은 판매자에게서 연락이 왔습니다.")
    # The form says, beside the box, that identifiers typed into it are masked before storing.
    assert "request-message-help" in (message.get_attribute("aria-describedby") or "")
    assert "가린 뒤 저장" in page.locator("#request-message-help").inner_text()
    steps.shot("form")
    with page.expect_navigation():
        page.get_by_role("button", name="요청 보내기").click()
    assert page.get_by_role("status").first.inner_text().startswith("요청을 접수했습니다")
    row = page.locator('tr.request[data-type="complaint"]')
    assert row.count() == 1 and "처리 중" in row.inner_text()
    steps.shot("filed")
    queued = api.get("/v1/requests", params={"subject_id": person.subject_id}).json()["items"]
    assert [(r["type"], r["transfer_id"]) for r in queued] == [("complaint", person.transfers[1])]


def test_switching_to_english_and_back(
    context: BrowserContext,
    people: Callable[..., Person],
    live_server: LiveServer,
    backend: Backend,
) -> None:
    person = people(("CN",))
    page = context.new_page()
    steps = Steps(page, f"privacy-{backend.name}-language")
    enter(page, live_server.url, person)
    assert page.get_by_role("heading", level=1).inner_text() == "내 개인정보 관리"
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/privacy?lang=en")
    assert page.get_attribute("html", "lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "My privacy"
    steps.shot("english")
    # Remembered on the next page, which is reached without ?lang=.
    page.get_by_role("link", name="Delete my account").click()
    page.wait_for_url(re.compile(r".*/privacy/delete$"))
    assert page.get_attribute("html", "lang") == "en"
    page.get_by_role("link", name="한국어").click()
    page.wait_for_url("**/privacy/delete?lang=ko")
    assert page.get_attribute("html", "lang") == "ko"
    page.get_by_role("link", name="취소하고 계정 유지하기").click()
    page.wait_for_url(re.compile(r".*/privacy$"))
    assert page.get_attribute("html", "lang") == "ko"
    assert page.get_by_role("heading", level=1).inner_text() == "내 개인정보 관리"
    steps.shot("korean")


def test_the_account_is_deleted_in_two_clicks_from_home(
    context: BrowserContext,
    people: Callable[..., Person],
    api: httpx.Client,
    live_server: LiveServer,
    backend: Backend,
) -> None:
    person = people()
    page = context.new_page()
    steps = Steps(page, f"privacy-{backend.name}-delete")
    enter(page, live_server.url, person)
    cookie = next(c["value"] for c in context.cookies() if c["name"] == "gh_session")
    clicks = 0

    def click(name: str, role: Any) -> None:
        nonlocal clicks
        clicks += 1
        with page.expect_navigation():
            page.get_by_role(role, name=name).click()

    steps.shot("home")
    click("회원 탈퇴", "link")
    assert page.url == f"{live_server.url}/privacy/delete"
    body = page.locator("main").inner_text()
    for words in (
        "계약 또는 청약철회",
        "대금결제",
        "불만 또는 분쟁처리",
        "5년",
        "3년",
        "「전자상거래 등에서의 소비자보호에 관한 법률」 제6조",
        "주문번호, 주문 상품, 주문일, 취소일, 성명",
        "파기를 요청할 회사",
    ):
        assert words in body
    # The way out is as visible as the way forward, and nothing is ticked for the customer.
    confirm = page.get_by_role("button", name="지금 탈퇴하기")
    cancel = page.get_by_role("link", name="취소하고 계정 유지하기")
    assert confirm.is_visible() and cancel.is_visible()
    confirm_box, cancel_box = confirm.bounding_box(), cancel.bounding_box()
    assert confirm_box and cancel_box
    assert abs(confirm_box["height"] - cancel_box["height"]) <= 2
    assert page.locator("input[type=checkbox], input[type=radio]").count() == 0
    steps.shot("confirm")
    click("지금 탈퇴하기", "button")
    assert clicks <= 2
    assert page.get_by_role("heading", level=1).inner_text() == "회원 탈퇴가 완료되었습니다"
    assert "gh_session" not in {c["name"] for c in context.cookies()}
    steps.shot("receipt")

    # Every recipient view is closed, and the customer API no longer knows the session.
    for seller, transfer_id in zip(
        [person.sellers[0], *person.sellers], person.transfers, strict=True
    ):
        assert seller.client.get(f"/v1/recipient/transfers/{transfer_id}").status_code == 410
    stale = httpx.get(f"{live_server.url}/v1/me", headers={"Cookie": f"gh_session={cookie}"})
    assert stale.status_code == 401
    assert context.request.get(f"{live_server.url}/v1/me").status == 401
    for path in ("/privacy", "/privacy/delete"):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 410
        assert page.get_by_role("heading", level=1).inner_text() == "탈퇴한 계정입니다"
    steps.shot("gone")
    # The JSON receipt downloads once.
    with page.expect_download() as download:
        page.goto(f"{live_server.url}/privacy/receipt")
        page.get_by_role("link", name="탈퇴 확인서 내려받기 (JSON)").click()
    saved = Path(download.value.path())
    assert person.subject_id in saved.read_text(encoding="utf-8")
    assert context.request.get(f"{live_server.url}/privacy/receipt.json").status == 410


def test_privacy_center_pages_pass_axe(
    context: BrowserContext,
    people: Callable[..., Person],
    live_server: LiveServer,
    backend: Backend,
    axe_source: str,
) -> None:
    person = people()
    page = context.new_page()
    steps = Steps(page, f"privacy-{backend.name}-axe")
    enter(page, live_server.url, person)
    found: dict[str, list[dict[str, Any]]] = {}
    found["home"] = violations(page, axe_source)
    steps.shot("home")

    # From the keyboard alone: the skip link first, then on to the deletion link.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    for _ in range(30):
        if page.evaluate("document.activeElement.id") == "delete-link":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "delete-link"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{live_server.url}/privacy/delete"
    found["confirm"] = violations(page, axe_source)
    steps.shot("confirm")

    page.goto(f"{live_server.url}/privacy?lang=en")
    found["home-en"] = violations(page, axe_source)
    steps.shot("home-en")

    page.goto(f"{live_server.url}/privacy/delete?lang=ko")
    with page.expect_navigation():
        page.get_by_role("button", name="지금 탈퇴하기").click()
    found["receipt"] = violations(page, axe_source)
    steps.shot("receipt")

    page.goto(f"{live_server.url}/privacy")
    found["gone"] = violations(page, axe_source)
    assert {name: v for name, v in found.items() if v} == {}
