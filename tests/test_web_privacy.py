"""The privacy center over real HTTP: the link, the cookie, who has my data, withdrawal,
requests, languages, and deleting the account in two requests from home.

The session cookie is Secure and httpx never sends a Secure cookie over plain http, so the
tests use the portal tests' :class:`PortalClient`, which keeps cookies as a browser would.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from gatehouse.services import worker
from gatehouse.services.access import issue_operator_key
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.customer_tables import customer_sessions
from gatehouse.store.ledger import LedgerRepository
from gatehouse.web.privacy import RECEIPT_EVENT
from tests.conftest import Clock, Fresh, LiveServer
from tests.support.factories import subject_body
from tests.support.gateway import Seller, allowed_transfer, consent, new_order, new_seller
from tests.support.gateway import publish_terms as publish
from tests.support.server import api_client
from tests.support.webhook_sink import WebhookSink
from tests.test_web_portal import PortalClient, hidden, set_cookie_header

STATUTE = "전자상거래 등에서의 소비자보호에 관한 법률"
ROW = re.compile(r'<tr class="recipient" data-recipient-id="([^"]+)" data-country="([A-Z]{2})"')
COUNTRY_ROW = re.compile(r'<tr data-country="([A-Z]{2})">\s*<td>[^<]*</td>\s*<td>(\d+)</td>')


@dataclass
class Person:
    """A Korean customer whose data went to sellers in two countries, with a fresh link."""

    subject_id: str
    body: dict[str, Any]
    link: str
    sellers: list[Seller]
    transfers: list[str]
    consents: list[str]
    orders: list[str] = field(default_factory=list)


PersonFactory = Callable[..., Person]


def new_link(api: httpx.Client, subject_id: str) -> str:
    response = api.post(f"/v1/subjects/{subject_id}/sessions")
    assert response.status_code == 201, response.text
    return str(response.json()["url"])


def new_person(
    api: httpx.Client,
    base_url: str,
    countries: tuple[str, ...] = ("CN", "JP"),
    recipients: dict[str, dict[str, Any]] | None = None,
) -> Person:
    """A customer with a consent to a seller in each country and a transfer to each.

    ``recipients`` overrides the registration of the seller in a country, by country code.
    """
    terms = publish(api)
    sellers = [
        new_seller(api, base_url, country, terms, **(recipients or {}).get(country, {}))
        for country in countries
    ]
    body = subject_body()
    created = api.post("/v1/subjects", json=body)
    assert created.status_code == 201, created.text
    subject_id = str(created.json()["id"])
    consents = [consent(api, subject_id, seller) for seller in sellers]
    orders, transfers = [], []
    # Two orders to the first seller, one to each other: the counts by country differ.
    for seller in [sellers[0], *sellers]:
        order_id, transfer_id = allowed_transfer(api, subject_id, seller)
        orders.append(order_id)
        transfers.append(transfer_id)
    return Person(subject_id, body, new_link(api, subject_id), sellers, transfers, consents, orders)


def signed_in(browser: PortalClient, person: Person) -> str:
    """Follow the person's link and return the home page's HTML."""
    entered = browser.get(person.link)
    assert entered.status_code == 303, entered.text
    assert entered.headers["location"] == "/privacy"
    home = browser.get("/privacy")
    assert home.status_code == 200, home.text
    return home.text


def ledger_recipients(api: httpx.Client, subject_id: str) -> Counter[tuple[str, str]]:
    """(recipient, country) of every transfer.allowed entry the ledger holds for a subject."""
    response = api.get(
        "/v1/ledger/entries",
        params={"subject_id": subject_id, "kind": "transfer.allowed", "limit": 500},
    )
    assert response.status_code == 200, response.text
    return Counter(
        (entry["recipient_id"], entry["payload"]["country"]) for entry in response.json()["items"]
    )


@pytest.fixture
def people(api: httpx.Client, live_server: LiveServer) -> Iterator[PersonFactory]:
    """Make customers; their sellers' HTTP clients are closed afterwards."""
    made: list[Person] = []

    def make(countries: tuple[str, ...] = ("CN", "JP"), **recipients: dict[str, Any]) -> Person:
        made.append(new_person(api, live_server.url, countries, recipients))
        return made[-1]

    yield make
    for someone in made:
        for seller in someone.sellers:
            seller.client.close()


@pytest.fixture
def person(people: PersonFactory) -> Person:
    return people()


@pytest.fixture
def browser(live_server: LiveServer) -> Iterator[PortalClient]:
    client = PortalClient(live_server.url)
    yield client
    client.close()


# --- the link and the session -------------------------------------------------------------


def test_the_link_sets_a_secure_httponly_lax_cookie_once(
    browser: PortalClient, person: Person, gatehouse: Gatehouse, live_server: LiveServer
) -> None:
    entered = browser.get(person.link)
    assert entered.status_code == 303 and entered.headers["location"] == "/privacy"
    assert entered.headers["cache-control"] == "no-store"
    header = set_cookie_header(entered, "gh_session")
    attributes = {part.strip().lower() for part in header.split(";")[1:]}
    assert {"httponly", "secure", "samesite=lax", "path=/"} <= attributes
    cookie = browser.cookies["gh_session"]
    token = person.link.split("token=", 1)[1]
    assert cookie != token and len(cookie) >= 40
    me = browser.get("/v1/me")
    assert me.status_code == 200 and me.json()["subject_id"] == person.subject_id

    # The same link a second time, even from another browser, opens nothing.
    other = PortalClient(live_server.url)
    reused = other.get(person.link)
    assert reused.status_code == 401
    assert "gh_session" not in other.cookies
    assert '<html lang="ko">' in reused.text and "이미 사용한 링크" in reused.text
    assert "새 링크를 받는 방법" in reused.text
    assert other.get("/privacy").status_code == 401
    other.close()
    garbage = browser.http.get("/privacy/enter?token=nope")
    assert garbage.status_code == 401 and "유효하지 않은 링크" in garbage.text
    # The cookie still works: a spent link does not end the session it opened, and the
    # browser it signed in may follow it again (a double click) without an error page.
    assert browser.get("/privacy").status_code == 200
    twice = browser.get(person.link)
    assert twice.status_code == 303 and twice.headers["location"] == "/privacy"
    with gatehouse.engine.connect() as connection:
        stored = LedgerRepository(connection).find(subject_id=person.subject_id)
    assert all(cookie not in str(entry.to_dict()) for entry in stored)


def test_without_a_session_the_page_says_how_to_get_a_new_link(
    anonymous: httpx.Client, browser: PortalClient, person: Person, clock: Clock
) -> None:
    page = anonymous.get("/privacy")
    assert page.status_code == 401
    assert '<html lang="ko">' in page.text
    assert "새 링크를 받는 방법" in page.text and "쇼핑몰" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    english = anonymous.get("/privacy?lang=en")
    assert english.status_code == 401 and "How to get a new link" in english.text
    # A session left idle for 30 minutes ends, and the page says so.
    signed_in(browser, person)
    clock.advance(minutes=31)
    ended = browser.get("/privacy")
    assert ended.status_code == 401 and "세션이 종료되었습니다" in ended.text
    assert "gh_session" not in browser.cookies


# --- who has my data ----------------------------------------------------------------------


def test_home_lists_the_recipients_and_countries_the_ledger_holds(
    browser: PortalClient, person: Person, api: httpx.Client
) -> None:
    html = signed_in(browser, person)
    ledgered = ledger_recipients(api, person.subject_id)
    assert sum(ledgered.values()) == len(person.transfers)
    shown = set(ROW.findall(html))
    assert shown == set(ledgered)
    by_country: Counter[str] = Counter()
    for (_recipient, country), count in ledgered.items():
        by_country[country] += count
    assert {code: int(n) for code, n in COUNTRY_ROW.findall(html)} == dict(by_country)
    # Each recipient is named with its contact, the items it got and where it is.
    for seller in person.sellers:
        standing = api.get(f"/v1/recipients/{seller.id}").json()
        assert standing["legal_name"] in html and standing["contact_email"] in html
    assert "중국 (CN)" in html and "일본 (JP)" in html
    assert "성명" in html and "주소" in html
    # The chart is inline SVG with a name, and the page loads nothing but our own files.
    assert re.search(r'<svg class="chart" id="chart-countries" role="img"', html)
    assert '<title id="chart-countries-title">' in html
    assert "<script" not in html
    assert re.findall(r'(?:src|href)="(https?:)?//', html) == []
    # Nothing of the customer's own PII is needed here, and the deletion link is in plain view.
    assert person.body["email"] not in html
    assert re.search(
        r'<a class="delete-link" id="delete-link" href="/privacy/delete">회원 탈퇴</a>', html
    )


# --- consents and requests ----------------------------------------------------------------


def test_a_consent_is_withdrawn_with_one_form_and_the_next_transfer_is_refused(
    browser: PortalClient, person: Person, api: httpx.Client
) -> None:
    html = signed_in(browser, person)
    withdrawn_id = person.consents[0]
    action = f"/privacy/consents/{withdrawn_id}/withdraw"
    assert f'action="{action}"' in html
    forged = browser.post(action)
    assert forged.status_code == 403
    done = browser.post(action, data={"csrf_token": hidden(html, "csrf_token")})
    assert done.status_code == 303
    assert done.headers["location"] == "/privacy?done=withdrawn#consents"
    after = browser.get("/privacy?done=withdrawn")
    block = after.text.split(f'id="consent-{withdrawn_id}"', 1)[1].split("</article>", 1)[0]
    assert 'data-state="withdrawn"' in block and f'action="{action}"' not in block
    assert 'role="status"' in after.text
    consents = browser.get("/v1/me/consents").json()["items"]
    assert {c["id"]: c["granted"] for c in consents} == {
        person.consents[0]: False,
        person.consents[1]: True,
    }
    order_id = new_order(api, person.subject_id, person.sellers[0])
    refused = api.post(
        f"/v1/orders/{order_id}/transfers", json={"purpose": "fulfilment", "flow": "provision"}
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "no_lawful_basis"
    again = browser.post(action, data={"csrf_token": hidden(html, "csrf_token")})
    assert again.status_code == 409


def test_a_complaint_about_a_transfer_is_filed_with_the_form(
    browser: PortalClient, person: Person, api: httpx.Client
) -> None:
    html = signed_in(browser, person)
    assert '<option value="complaint">' in html
    assert f'<option value="{person.transfers[1]}">' in html
    assert 'name="message"' in html and "required" in html
    form = {
        "csrf_token": hidden(html, "csrf_token"),
        "type": "complaint",
        "transfer_id": person.transfers[1],
        "message": "판매자가 동의 없이 광고 문자를 보냈습니다.",
    }
    empty = browser.post("/privacy/requests", data={**form, "message": "  "})
    assert empty.status_code == 422 and 'role="alert"' in empty.text
    filed = browser.post("/privacy/requests", data=form)
    assert filed.status_code == 303
    assert filed.headers["location"] == "/privacy?done=request#requests"
    home = browser.get("/privacy?done=request").text
    assert re.search(r'<tr class="request" id="request-[^"]+" data-type="complaint"', home)
    assert "판매자가 동의 없이" in home and "처리 중" in home
    queued = api.get("/v1/requests", params={"subject_id": person.subject_id}).json()["items"]
    assert len(queued) == 1
    request = queued[0]
    assert request["type"] == "complaint" and request["transfer_id"] == person.transfers[1]
    assert request["status"] == "pending" and request["deadline_state"] == "on_time"
    mine = browser.get("/v1/me/requests").json()["items"]
    assert [r["id"] for r in mine] == [request["id"]] and mine[0]["channel"] == "web"


def test_languages_switch_from_korean_to_english_and_back(
    browser: PortalClient, person: Person
) -> None:
    korean = signed_in(browser, person)
    assert '<html lang="ko">' in korean and "내 정보를 가진 곳" in korean
    english = browser.get("/privacy?lang=en")
    assert '<html lang="en">' in english.text and "Who has my data" in english.text
    assert "내 정보를 가진 곳" not in english.text and "Delete my account" in english.text
    assert english.headers["content-language"] == "en"
    assert "path=/privacy" in set_cookie_header(english, "gh_lang").lower()
    assert browser.cookies["gh_lang"] == "en"
    remembered = browser.get("/privacy/delete")
    assert '<html lang="en">' in remembered.text and "Delete my account now" in remembered.text
    back = browser.get("/privacy?lang=ko")
    assert '<html lang="ko">' in back.text and browser.cookies["gh_lang"] == "ko"
    assert "회원 탈퇴" in browser.get("/privacy").text


# --- deleting the account -----------------------------------------------------------------


def test_the_account_is_deleted_in_two_requests_after_home(
    browser: PortalClient, person: Person, api: httpx.Client, gatehouse: Gatehouse, clock: Clock
) -> None:
    home = signed_in(browser, person)
    cookie = browser.cookies["gh_session"]
    link = re.search(r'<a class="delete-link" id="delete-link" href="([^"]+)">회원 탈퇴</a>', home)
    assert link

    # Request 1: the confirmation page, in plain Korean.
    confirm = browser.get(link.group(1))
    assert confirm.status_code == 200
    page = confirm.text
    assert "삭제되는 정보" in page and "성명" in page and "개인통관고유부호" in page
    # Each hold names the fields a deletion really keeps (the pack's list, less what Gatehouse
    # never holds, such as a payment amount), its period, its end date and its statute.
    held = {
        "contracts": ("5년", ["주문번호", "주문 상품", "주문일", "취소일", "성명"]),
        "payments": ("5년", ["주문번호", "주문 상품", "배송일", "성명", "주소"]),
        "complaints": ("3년", ["요청 번호", "요청 유형", "내용", "답변일", "성명", "이메일 주소"]),
    }
    for hold, (period, fields) in held.items():
        row = page.split(f'data-hold="{hold}"', 1)[1].split("</tr>", 1)[0]
        assert period in row and f"「{STATUTE}」 제6조" in row
        kept = re.search(r'<td class="fields">([^<]*)</td>', row)
        assert kept and kept.group(1).split(", ") == fields
        assert "결제 금액" not in row and "결제일" not in row
    assert "계약 또는 청약철회" in page and "대금결제" in page and "불만 또는 분쟁처리" in page
    # The contract records run five years (60 months of 30.44 days) from each order; this
    # customer has no delivered order and no complaint, so nothing else is kept.
    until = clock() + timedelta(days=round(60 * 30.44))
    # The page shows the date in the customer's zone; the datetime attribute stays in UTC.
    seoul = until.astimezone(ZoneInfo("Asia/Seoul"))
    contracts = page.split('data-hold="contracts"', 1)[1].split("</tr>", 1)[0]
    assert (
        f'<time datetime="{until.isoformat()}">{seoul.year}년 {seoul.month}월 {seoul.day}일'
        in contracts
    )
    for hold in ("payments", "complaints"):
        assert (
            "해당 기록이 없습니다" in page.split(f'data-hold="{hold}"', 1)[1].split("</tr>", 1)[0]
        )
    # Where the data is erased: here, and at each recipient, named with what it received.
    for seller in person.sellers:
        legal_name = api.get(f"/v1/recipients/{seller.id}").json()["legal_name"]
        row = page.split(f'data-recipient-id="{seller.id}"', 1)[1].split("</tr>", 1)[0]
        assert legal_name in row and "주소" in row and "배송 메모" in row
        assert "열람 중" in row
    assert "10일 안에" in page
    # No webhook to the marketplace is set here, so the page does not promise to tell it.
    assert "marketplace-told" not in page and "마켓플레이스" not in page
    # No questionnaire, nothing pre-ticked, and a way back as plain as the way forward.
    assert 'type="checkbox"' not in page and "<select" not in page and "<textarea" not in page
    assert re.search(r'<a class="button-secondary" id="cancel-delete" href="/privacy">', page)
    assert re.search(r'<button type="submit" class="button-danger" id="confirm-delete">', page)

    # Request 2: the one confirmation, answered by the receipt.
    deleted = browser.post("/privacy/delete", data={"csrf_token": hidden(page, "csrf_token")})
    assert deleted.status_code == 200, deleted.text
    assert "회원 탈퇴가 완료되었습니다" in deleted.text
    assert "gh_session" not in browser.cookies
    assert "gh_receipt" in browser.cookies
    receipt_header = set_cookie_header(deleted, "gh_receipt").lower()
    assert {"httponly", "secure", "path=/privacy"} <= {p.strip() for p in receipt_header.split(";")}
    deletion_id = re.search(r'<code id="deletion-id">([^<]+)</code>', deleted.text)
    assert deletion_id
    assert STATUTE in deleted.text

    # The old cookie opens nothing any more; every recipient view is closed.
    stale = {"Cookie": f"gh_session={cookie}"}
    assert browser.http.get("/v1/me", headers=stale).status_code == 401
    for path in ("/privacy", "/privacy/delete"):
        gone = browser.http.get(path, headers=stale)
        assert gone.status_code == 410 and "탈퇴한 계정입니다" in gone.text
    resent = browser.http.post("/privacy/delete", headers=stale, data={"csrf_token": "x"})
    assert resent.status_code == 410
    for seller, transfer_id in zip(
        [person.sellers[0], *person.sellers], person.transfers, strict=True
    ):
        view = seller.client.get(f"/v1/recipient/transfers/{transfer_id}")
        assert view.status_code == 410, view.text

    # The receipt: as a page while it lasts, and as JSON exactly once.
    again = browser.get("/privacy/receipt")
    assert again.status_code == 200 and deletion_id.group(1) in again.text
    document = browser.get("/privacy/receipt.json")
    assert document.status_code == 200, document.text
    assert "attachment" in document.headers["content-disposition"]
    receipt = document.json()["receipt"]
    assert receipt["deletion_id"] == deletion_id.group(1)
    assert receipt["subject_id"] == person.subject_id
    assert {n["recipient_id"] for n in receipt["erasure_notices"]} == {s.id for s in person.sellers}
    assert {r["hold"] for r in receipt["retained"]} >= {"contracts"}
    assert all(STATUTE in r["statute"] for r in receipt["retained"])
    assert person.body["name"] not in document.text and person.body["email"] not in document.text
    assert browser.get("/privacy/receipt.json").status_code == 410
    assert "탈퇴 확인서를 내려받았습니다" in browser.get("/privacy/receipt").text
    with gatehouse.engine.connect() as connection:
        delivered = LedgerRepository(connection).find(
            kind=RECEIPT_EVENT, subject_id=person.subject_id
        )
    assert len(delivered) == 1

    # A forged or altered receipt ticket opens nothing.
    ticket = browser.cookies["gh_receipt"]
    parts = ticket.split(".")
    forged = ".".join([parts[0], str(int(parts[1]) + 3600), *parts[2:]])
    for value in (forged, "del_x.1.k.AAAA", ""):
        response = browser.http.get("/privacy/receipt", headers={"Cookie": f"gh_receipt={value}"})
        assert response.status_code == 401


def test_the_deletion_page_says_the_marketplace_is_told_when_it_is(fresh: Fresh) -> None:
    sink = WebhookSink()
    with LiveServer(fresh.gatehouse) as server:
        key = issue_operator_key(fresh.gatehouse, fresh.clock(), label="tests")
        headers = {"Authorization": f"Bearer {key}"}
        with api_client(server.url, headers=headers) as api:
            set_ = api.put("/v1/operator/webhook", json={"url": sink.url})
            assert set_.status_code == 200, set_.text
            person = new_person(api, server.url, ("CN",))
        browser = PortalClient(server.url)
        try:
            signed_in(browser, person)
            page = browser.get("/privacy/delete").text
            told = re.search(r'<p id="marketplace-told">([^<]+)</p>', page)
            assert told and "마켓플레이스에 탈퇴 사실을 통지" in told.group(1)
            assert "회원번호 외의 개인정보가 포함되지 않습니다" in told.group(1)
            deleted = browser.post(
                "/privacy/delete", data={"csrf_token": hidden(page, "csrf_token")}
            )
            assert deleted.status_code == 200 and 'id="marketplace-told"' in deleted.text
            # What the page says is what happens: the worker delivers the notice.
            worker.run_once(fresh.gatehouse, "test-worker", limit=100)
            events = [json.loads(r.body) for r in sink.accepted]
            assert [e["data"]["external_ref"] for e in events] == [person.body["external_ref"]]
        finally:
            browser.close()
            for seller in person.sellers:
                seller.client.close()
            sink.close()


def test_the_receipt_expires(browser: PortalClient, people: PersonFactory, clock: Clock) -> None:
    person = people(("VN",))
    signed_in(browser, person)
    confirm = browser.get("/privacy/delete").text
    deleted = browser.post("/privacy/delete", data={"csrf_token": hidden(confirm, "csrf_token")})
    assert deleted.status_code == 200
    clock.advance(minutes=16)
    late = browser.get("/privacy/receipt")
    assert late.status_code == 410
    assert browser.get("/privacy/receipt.json").status_code == 410


# --- isolation and forms ------------------------------------------------------------------


def test_another_customers_ids_in_forms_are_404(
    browser: PortalClient, api: httpx.Client, live_server: LiveServer, people: PersonFactory
) -> None:
    alice = people(("CN",))
    bob = people(("US",))
    html = signed_in(browser, alice)
    csrf = hidden(html, "csrf_token")
    stolen = browser.post(
        f"/privacy/consents/{bob.consents[0]}/withdraw", data={"csrf_token": csrf}
    )
    assert stolen.status_code == 404 and '<html lang="ko">' in stolen.text
    complaint = browser.post(
        "/privacy/requests",
        data={
            "csrf_token": csrf,
            "type": "complaint",
            "transfer_id": bob.transfers[0],
            "message": "이 이전이 궁금합니다",
        },
    )
    assert complaint.status_code == 404
    assert browser.get("/privacy/nothing-here").status_code == 404
    # Bob's consent still stands, and Bob has no request he did not make.
    assert api.get("/v1/requests", params={"subject_id": bob.subject_id}).json()["items"] == []
    assert api.get("/v1/requests", params={"subject_id": alice.subject_id}).json()["items"] == []
    bob_browser = PortalClient(live_server.url)
    signed_in(bob_browser, bob)
    assert [c["granted"] for c in bob_browser.get("/v1/me/consents").json()["items"]] == [True]
    bob_browser.close()
    for secret in (bob.subject_id, bob.transfers[0], bob.consents[0]):
        assert secret not in html


def test_forms_need_the_sessions_csrf_token(
    browser: PortalClient, person: Person, api: httpx.Client, live_server: LiveServer
) -> None:
    signed_in(browser, person)
    other = PortalClient(live_server.url)
    other_html = signed_in(other, replace(person, link=new_link(api, person.subject_id)))
    stolen = hidden(other_html, "csrf_token")
    # A token of the same customer's other session does not work here either.
    for path, form in (
        (f"/privacy/consents/{person.consents[0]}/withdraw", {}),
        ("/privacy/requests", {"type": "access", "message": "열람"}),
        ("/privacy/delete", {}),
    ):
        assert browser.post(path, data=form).status_code == 403
        assert browser.post(path, data={**form, "csrf_token": stolen}).status_code == 403
    assert browser.get("/v1/me").status_code == 200
    assert all(c["granted"] for c in browser.get("/v1/me/consents").json()["items"])
    assert browser.get("/v1/me/requests").json()["items"] == []
    other.close()


def test_the_session_table_holds_only_hashes(
    browser: PortalClient, person: Person, gatehouse: Gatehouse
) -> None:
    signed_in(browser, person)
    cookie = browser.cookies["gh_session"]
    with gatehouse.engine.connect() as connection:
        rows = connection.execute(
            select(customer_sessions).where(customer_sessions.c.subject_id == person.subject_id)
        ).all()
    digest = hashlib.sha256(cookie.encode()).hexdigest()
    assert digest in {row.token_hash for row in rows}
    assert all(cookie not in str(tuple(row)) for row in rows)
