"""Withdrawing a consent asks every recipient that held a view under it to erase (R13).

A customer's data went to two sellers under one consent and to a third under another. The
customer withdraws the first consent through ``/v1/me``; both sellers get an erasure request
they must acknowledge and a signed webhook at a real local endpoint, and the third seller is
left alone. The operator's withdrawal path does the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from gatehouse.services import outbox
from gatehouse.services.erasures import escalate_overdue
from gatehouse.services.worker import load_handlers
from tests.conftest import Fresh
from tests.support.factories import recipient_body, subject_body
from tests.support.gateway import Seller, allowed_transfer, publish_terms
from tests.support.server import api_client, operator_api
from tests.support.webhook_sink import WebhookSink, verify_standard_webhook
from tests.test_web_portal import PortalClient


@dataclass
class Party:
    """A seller with its webhook secret and its own endpoint."""

    seller: Seller
    secret: str
    sink: WebhookSink

    @property
    def id(self) -> str:
        return self.seller.id

    @property
    def http(self) -> httpx.Client:
        return self.seller.client


@dataclass
class World:
    fresh: Fresh
    api: httpx.Client
    url: str
    sellers: list[Party]


@pytest.fixture
def world(fresh: Fresh) -> Iterator[World]:
    with operator_api(fresh.gatehouse) as (server, api):
        terms = publish_terms(api)
        sellers = []
        for country in ("CN", "US", "JP"):
            sink = WebhookSink()
            body = recipient_body(country=country, webhook_url=sink.url)
            created = api.post("/v1/recipients", json=body).json()
            client = api_client(server.url, created["api_key"])
            assert client.post(f"/v1/recipient/terms/{terms}/accept").status_code == 200
            seller = Seller(created["id"], created["api_key"], client)
            sellers.append(Party(seller, created["webhook_secret"], sink))
        yield World(fresh, api, server.url, sellers)
        for party in sellers:
            party.http.close()
            party.sink.close()


def _consent(api: httpx.Client, subject_id: str, sellers: list[Party]) -> str:
    notice = api.get(
        "/v1/notices/render",
        params={
            "subject_id": subject_id,
            "purpose": "fulfilment",
            "recipient_id": [seller.id for seller in sellers],
        },
    )
    assert notice.status_code == 200, notice.text
    granted = api.post(
        f"/v1/subjects/{subject_id}/consents",
        json={"notice_hash": notice.json()["notice_hash"], "granted": True, "channel": "web"},
    )
    assert granted.status_code == 201, granted.text
    return str(granted.json()["id"])


def _erasures(party: Party) -> list[dict[str, Any]]:
    response = party.http.get("/v1/recipient/erasures")
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def _drain(fresh: Fresh) -> None:
    load_handlers()
    outbox.run_once(fresh.gatehouse, "test-worker", limit=100)


def test_withdrawal_asks_each_recipient_of_the_consent_to_erase(world: World) -> None:
    api, fresh = world.api, world.fresh
    a, b, c = world.sellers
    body = subject_body(name="김민준")
    subject_id = api.post("/v1/subjects", json=body).json()["id"]
    withdrawn_consent = _consent(api, subject_id, [a, b])
    _consent(api, subject_id, [c])
    transfers: dict[str, list[str]] = {a.id: [], b.id: [], c.id: []}
    for party in (a, a, b, c):
        transfers[party.id].append(allowed_transfer(api, subject_id, party.seller)[1])
    refs = {
        party.id: {
            t["transfer_id"]: t["order_ref"]
            for t in party.http.get("/v1/recipient/transfers").json()["items"]
        }
        for party in (a, b, c)
    }

    token = api.post(f"/v1/subjects/{subject_id}/sessions").json()["token"]
    with api_client(world.url, token) as me:
        withdrawn = me.post(f"/v1/me/consents/{withdrawn_consent}/withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    now = fresh.clock()

    # Each seller of the withdrawn consent has one request covering all its transfers; the
    # seller under the other consent has none and still reads its view.
    for party in (a, b):
        (erasure,) = _erasures(party)
        assert erasure["cause"] == "consent_withdrawn"
        assert erasure["consent_id"] == withdrawn_consent and erasure["deletion_id"] is None
        assert sorted(erasure["transfer_ids"]) == sorted(transfers[party.id])
        assert sorted(erasure["order_refs"]) == sorted(refs[party.id].values())
        assert erasure["status"] == "pending"
        assert erasure["due_at"].startswith((now + timedelta(days=10)).isoformat()[:19])
        for transfer_id in transfers[party.id]:
            closed = party.http.get(f"/v1/recipient/transfers/{transfer_id}")
            assert closed.status_code == 410
            assert closed.json()["error"]["details"]["reason"] == "consent_withdrawn"
    assert _erasures(c) == []
    portal = PortalClient(world.url)
    assert portal.login(b.seller.key).status_code == 303
    page = portal.get("/recipient/erasures?lang=ko").text
    assert 'data-cause="consent_withdrawn"' in page and "고객이 동의를 철회했습니다" in page
    portal.close()
    (c_transfer,) = transfers[c.id]
    assert c.http.get(f"/v1/recipient/transfers/{c_transfer}").status_code == 200

    # The withdrawal's ledger entry names the requests it sent.
    (entry,) = api.get(
        "/v1/ledger/entries", params={"kind": "consent.withdrawn", "subject_id": subject_id}
    ).json()["items"]
    asked = {e["id"] for s in (a, b) for e in _erasures(s)}
    assert set(entry["payload"]["erasure_ids"]) == asked

    # The worker delivers one signed webhook to each, carrying the cause and no PII.
    _drain(fresh)
    for party in (a, b):
        (received,) = party.sink.accepted
        assert verify_standard_webhook(party.secret, received)
        assert not verify_standard_webhook(c.secret, received)
        event = json.loads(received.body)
        (erasure,) = _erasures(party)
        assert event["type"] == "subject.erasure_requested"
        assert event["data"]["cause"] == "consent_withdrawn"
        assert event["data"]["erasure_id"] == erasure["id"]
        assert event["data"]["acknowledge"] == f"/v1/recipient/erasures/{erasure['id']}/ack"
        text = received.body.decode()
        for value in (body["name"], body["email"], body["phone"], body["address"]["line1"]):
            assert value not in text
    assert c.sink.received == []

    # Acknowledged like a deletion's erasure; an unacknowledged one escalates at its deadline.
    (erasure_a,) = _erasures(a)
    ack = a.http.post(
        f"/v1/recipient/erasures/{erasure_a['id']}/ack", json={"attestation": "Purged."}
    )
    assert ack.status_code == 200 and ack.json()["status"] == "acknowledged"
    assert b.http.post(f"/v1/recipient/erasures/{erasure_a['id']}/ack").status_code == 404
    fresh.clock.advance(days=10)
    assert escalate_overdue(fresh.gatehouse) == 1
    (erasure_b,) = _erasures(b)
    assert erasure_b["status"] == "overdue" and erasure_b["escalated_at"]
    standing = api.get(f"/v1/recipients/{b.id}").json()
    assert standing["eligible"] is False and "erasures_overdue" in standing["missing"]
    assert api.get(f"/v1/recipients/{a.id}").json()["eligible"] is True

    # A later deletion asks again, this time for the account, and says so.
    receipt = api.delete(f"/v1/subjects/{subject_id}").json()["receipt"]
    causes = {e["cause"] for e in _erasures(a)}
    assert causes == {"consent_withdrawn", "subject_deleted"}
    assert {n["recipient_id"] for n in receipt["erasure_notices"]} == {a.id, b.id, c.id}


def test_the_operator_withdrawing_for_the_customer_asks_too(world: World) -> None:
    api = world.api
    a, b, _ = world.sellers
    subject_id = api.post("/v1/subjects", json=subject_body()).json()["id"]
    consent_id = _consent(api, subject_id, [a])
    _consent(api, subject_id, [b])
    allowed_transfer(api, subject_id, a.seller)
    allowed_transfer(api, subject_id, b.seller)
    withdrawn = api.post(
        f"/v1/subjects/{subject_id}/consents/{consent_id}/withdraw", json={"channel": "phone"}
    )
    assert withdrawn.status_code == 201, withdrawn.text
    (erasure,) = _erasures(a)
    assert (erasure["cause"], erasure["consent_id"]) == ("consent_withdrawn", consent_id)
    assert _erasures(b) == []
    everything = api.get("/v1/erasures").json()["items"]
    assert [e["recipient_id"] for e in everything] == [a.id]
    # Withdrawing again is refused, and asks no one a second time.
    again = api.post(f"/v1/subjects/{subject_id}/consents/{consent_id}/withdraw")
    assert again.status_code == 409
    assert len(api.get("/v1/erasures").json()["items"]) == 1
