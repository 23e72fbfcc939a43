"""The privacy center with more transfers than the home page lists: every recipient still
named in full, the newest transfers in the request form, and all of them a page at a time.

The home page's and the list's sizes are shrunk for the test, so a handful of transfers
stands for the thousands a real customer may have.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from gatehouse.ledger import Checkpoint, key_fingerprint, verify_inclusion_proof
from gatehouse.web import privacy_content
from tests.conftest import Clock, LiveServer
from tests.support.gateway import allowed_transfer
from tests.test_web_portal import PortalClient, hidden
from tests.test_web_privacy import (
    ROW,
    Person,
    ledger_recipients,
    new_person,
    signed_in,
)

OPTION = re.compile(r'<option value="(trf_[^"]+)"( selected)?>')
LISTED = re.compile(r'<tr class="transfer" data-transfer-id="([^"]+)"')
BASIS = "정보주체로부터 국외 이전에 관한 별도의 동의를 받은 경우"


@pytest.fixture
def many(api: httpx.Client, live_server: LiveServer, clock: Clock) -> Iterator[Person]:
    """A customer with seven transfers (two sellers), where home lists two and a page three."""
    person = new_person(api, live_server.url)
    for seller in (person.sellers[1], person.sellers[0], person.sellers[1], person.sellers[0]):
        # A second apart, so "newest" means one transfer, not a tie broken by id.
        clock.advance(seconds=1)
        _order, transfer_id = allowed_transfer(api, person.subject_id, seller)
        person.transfers.append(transfer_id)
    yield person
    for seller in person.sellers:
        seller.client.close()


@pytest.fixture
def browser(live_server: LiveServer) -> Iterator[PortalClient]:
    client = PortalClient(live_server.url)
    yield client
    client.close()


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(privacy_content, "HOME_TRANSFERS", 2)
    monkeypatch.setattr(privacy_content, "TRANSFER_PAGE", 3)


def test_home_names_every_recipient_but_offers_only_the_newest_transfers(
    browser: PortalClient, many: Person, api: httpx.Client, small_pages: None
) -> None:
    html = signed_in(browser, many)
    ledgered = ledger_recipients(api, many.subject_id)
    assert sum(ledgered.values()) == len(many.transfers) == 7
    # Every recipient, with what it got, why and on what basis, from all seven transfers.
    assert set(ROW.findall(html)) == set(ledgered)
    for recipient_id, _country in ledgered:
        row = html.split(f'data-recipient-id="{recipient_id}"', 1)[1].split("</tr>", 1)[0]
        assert "성명" in row and "주소" in row and BASIS in row
    counts = dict(
        re.findall(r'<tr data-country="([A-Z]{2})">\s*<td>[^<]*</td>\s*<td>(\d+)</td>', html)
    )
    assert counts == {"CN": "4", "JP": "3"}
    # The form offers the two newest; the rest are a link away.
    assert [m[0] for m in OPTION.findall(html)] == [many.transfers[-1], many.transfers[-2]]
    assert 'id="request-transfer-more"' in html and 'href="/privacy/transfers"' in html
    assert re.search(r'<a id="all-transfers" href="/privacy/transfers">[^<]*7건', html)


def test_all_transfers_are_listed_a_page_at_a_time_and_each_can_be_asked_about(
    browser: PortalClient, many: Person, api: httpx.Client, small_pages: None
) -> None:
    home = signed_in(browser, many)
    pages: list[str] = []
    url: str | None = "/privacy/transfers"
    while url is not None:
        page = browser.get(url)
        assert page.status_code == 200, page.text
        assert '<html lang="ko">' in page.text and "모두 7건" in page.text
        assert ('id="first-transfers"' in page.text) == bool(pages)
        pages.append(page.text)
        found = re.search(r'<a id="next-transfers" href="([^"]+)" rel="next">', page.text)
        url = found[1] if found else None
    seen = [t for page_html in pages for t in LISTED.findall(page_html)]
    assert [len(LISTED.findall(page_html)) for page_html in pages] == [3, 3, 1]
    # Each exactly once, newest first: the four later ones, then the first three.
    assert sorted(seen) == sorted(many.transfers)
    assert seen[:4] == list(reversed(many.transfers[3:]))
    assert [m[0] for m in OPTION.findall(home)] == seen[:2]

    # An older transfer is not among the form's choices until it is picked from the list.
    oldest = seen[-1]
    assert oldest not in home
    assert f'href="/privacy?about={oldest}#new-request-title"' in pages[-1]
    home = browser.get(f"/privacy?about={oldest}")
    assert home.status_code == 200
    assert (oldest, " selected") in OPTION.findall(home.text)
    filed = browser.post(
        "/privacy/requests",
        data={
            "csrf_token": hidden(home.text, "csrf_token"),
            "type": "complaint",
            "transfer_id": oldest,
            "message": "오래된 주문의 판매자가 연락해 왔습니다.",
        },
    )
    assert filed.status_code == 303, filed.text
    queued = api.get("/v1/requests", params={"subject_id": many.subject_id}).json()["items"]
    assert [r["transfer_id"] for r in queued] == [oldest]
    # The request names the old order although the home page lists only the newest.
    after = browser.get("/privacy?done=request").text
    row = after.split('data-type="complaint"', 1)[1].split("</tr>", 1)[0]
    assert re.search(r"<td>ORD-\d+</td>", row)
    # An id that is not this customer's preselects nothing.
    stranger = browser.get("/privacy?about=trf_nobody")
    assert (
        stranger.status_code == 200
        and " selected>"
        not in stranger.text.split('id="request-transfer"', 1)[1].split("</select>", 1)[0]
    )


def test_the_list_refuses_a_forged_cursor_and_a_visitor_without_a_session(
    browser: PortalClient, many: Person, anonymous: httpx.Client
) -> None:
    signed_in(browser, many)
    forged = browser.get("/privacy/transfers?after=yesterday")
    assert forged.status_code == 422 and '<html lang="ko">' in forged.text
    english = browser.get("/privacy/transfers?lang=en")
    assert english.status_code == 200 and "All transfers of my data" in english.text
    assert anonymous.get("/privacy/transfers").status_code == 401


def test_each_transfer_offers_its_proof_checkpoint_and_key_fingerprint_as_one_file(
    browser: PortalClient, many: Person, anonymous: httpx.Client
) -> None:
    signed_in(browser, many)
    page = browser.get("/privacy/transfers")
    assert page.status_code == 200
    assert '<a id="published-checkpoint" href="/.well-known/gatehouse/checkpoint">' in page.text
    assert "증명 파일" in page.text and "공개 체크포인트" in page.text
    wanted = many.transfers[0]
    assert f'href="/privacy/transfers/{wanted}/proof.json" download' in page.text

    download = browser.get(f"/privacy/transfers/{wanted}/proof.json")

    assert download.status_code == 200, download.text
    assert "attachment" in download.headers["content-disposition"]
    document = download.json()
    proof, published = document["proof"], anonymous.get(document["published_checkpoint"])
    checkpoint = Checkpoint.from_dict(proof["checkpoint"])
    key = proof["checkpoint"]["public_key"]
    assert published.status_code == 200
    assert proof["public_key_sha256"] == published.json()["public_key_sha256"]
    assert proof["public_key_sha256"] == key_fingerprint(key)
    assert proof["entry"]["payload"]["transfer_id"] == wanted
    assert verify_inclusion_proof(proof, checkpoint, key)
    english = browser.get("/privacy/transfers?lang=en")
    assert "Download the proof of order" in english.text
    assert anonymous.get(f"/privacy/transfers/{wanted}/proof.json").status_code == 401
    assert browser.get("/privacy/transfers/trf_nobody/proof.json").status_code == 404
