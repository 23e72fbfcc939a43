"""The privacy center's pages over real HTTP: they list transfers without proving them, and
show times on the customer's clock while the customer API keeps UTC."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import httpx

from gatehouse.services import ledger
from gatehouse.services.access import issue_operator_key
from gatehouse.services.runtime import Gatehouse
from tests.conftest import Fresh, LiveServer
from tests.support.gateway import allowed_transfer
from tests.support.server import CLIENT_TIMEOUT, api_client
from tests.test_web_portal import PortalClient
from tests.test_web_privacy import ROW, new_person, signed_in


def _checkpoint_sequence(gh: Gatehouse) -> int:
    checkpoint = ledger.latest_checkpoint(gh)
    return 0 if checkpoint is None else checkpoint.sequence


def _my_transfers(base_url: str, api: httpx.Client, subject_id: str) -> list[dict[str, object]]:
    """The customer's transfers as the customer API gives them, through a session of its own."""
    token = api.post(f"/v1/subjects/{subject_id}/sessions").json()["token"]
    listed = httpx.get(
        f"{base_url}/v1/me/transfers",
        headers={"Authorization": f"Bearer {token}"},
        params={"limit": 100},
        timeout=CLIENT_TIMEOUT,
    )
    assert listed.status_code == 200, listed.text
    return list(listed.json()["items"])


def test_the_pages_list_transfers_without_proving_them(
    api: httpx.Client, live_server: LiveServer, gatehouse: Gatehouse
) -> None:
    person = new_person(api, live_server.url)
    for _ in range(25):
        allowed_transfer(api, person.subject_id, person.sellers[0])
    for seller in person.sellers:
        seller.client.close()
    # A proof is against a checkpoint that covers the entry: proving any of these 28 new
    # transfers would sign a checkpoint first, so an unchanged sequence means none was proved.
    before = _checkpoint_sequence(gatehouse)
    browser = PortalClient(live_server.url)
    try:
        home = signed_in(browser, person)
        assert len(ROW.findall(home)) == 2
        assert browser.get("/privacy?lang=en").status_code == 200
        assert browser.get("/privacy/delete").status_code == 200
    finally:
        browser.close()
    assert _checkpoint_sequence(gatehouse) == before

    # The customer API still proves each transfer, against a checkpoint signed for them.
    items = _my_transfers(live_server.url, api, person.subject_id)
    assert len(items) == 28 and all(item["proof"] for item in items)
    assert _checkpoint_sequence(gatehouse) == before + 1


def test_a_korean_customer_reads_seoul_time_and_the_api_keeps_utc(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    fresh.clock.now = datetime(2026, 11, 28, 15, 30, tzinfo=UTC)
    key = issue_operator_key(gh, fresh.clock(), label="tests")
    with (
        LiveServer(gh) as server,
        api_client(server.url, key) as api,
    ):
        person = new_person(api, server.url, countries=("CN",))
        for seller in person.sellers:
            seller.client.close()
        token = api.post(f"/v1/subjects/{person.subject_id}/sessions").json()["token"]
        filed = httpx.post(
            f"{server.url}/v1/me/requests",
            headers={"Authorization": f"Bearer {token}"},
            json={"type": "access", "message": "제 개인정보 처리 내역을 알려 주세요."},
        )
        assert filed.status_code == 201, filed.text
        items = _my_transfers(server.url, api, person.subject_id)
        browser = PortalClient(server.url)
        try:
            korean = html.unescape(signed_in(browser, person))
            english = html.unescape(browser.get("/privacy?lang=en").text)
        finally:
            browser.close()

    # 15:30 UTC on the 28th is 00:30 on the 29th in Seoul: the request filed then, and the
    # transfer it may concern, read as the 29th, in KST and saying so.
    assert "2026. 11. 29. 오전 12:30:00 KST" in korean
    # CLDR puts a narrow no-break space before AM.
    assert "Nov 29, 2026, 12:30:00\u202fAM KST" in english
    assert "2026. 11. 28." not in korean and " UTC" not in korean
    # The transfer, offered in the request form, carries the customer's day too.
    assert re.search(r"<option [^>]*>[^<]* · 2026\. 11\. 29\.</option>", korean)
    # The API answers in UTC, as it did.
    assert {item["when"] for item in items} == {"2026-11-28T15:30:00Z"}
