"""Suspensions as ledger entries (Art. 28-9), and the audit that replays them over HTTP.

Each test runs on its own database and clock, so the audit sees exactly the transfers and
suspensions the test made.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from gatehouse.services import ledger
from tests.conftest import Fresh
from tests.support.gateway import Seller, consent, new_order, new_seller, new_subject, publish_terms
from tests.support.server import api_client, operator_api

REASON = "PIPC corrective order 2026-41 after a complaint by 홍길동 (010-1234-5678)"


@dataclass
class World:
    fresh: Fresh
    api: httpx.Client
    seller: Seller
    subject_id: str


@pytest.fixture
def world(fresh: Fresh) -> Iterator[World]:
    with operator_api(fresh.gatehouse) as (server, api):
        seller = new_seller(api, server.url, "CN", publish_terms(api))
        subject_id = new_subject(api)
        consent(api, subject_id, seller)
        yield World(fresh, api, seller, subject_id)
        seller.client.close()


def _transfer(world: World) -> httpx.Response:
    order_id = new_order(world.api, world.subject_id, world.seller)
    return world.api.post(
        f"/v1/orders/{order_id}/transfers", json={"purpose": "fulfilment", "flow": "provision"}
    )


def _entries(api: httpx.Client, kind: str) -> list[dict[str, Any]]:
    response = api.get("/v1/ledger/entries", params={"kind": kind, "limit": 500})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def _audit(api: httpx.Client) -> dict[str, Any]:
    response = api.get("/v1/audit/suspensions")
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_suspending_and_resuming_a_recipient_are_ledger_entries(world: World) -> None:
    api, seller, clock = world.api, world.seller, world.fresh.clock
    allowed = _transfer(world)
    assert allowed.status_code == 201, allowed.text

    clock.advance(minutes=1)
    suspended = api.post(f"/v1/recipients/{seller.id}/suspend", json={"reason": REASON})
    assert suspended.status_code == 200, suspended.text
    (entry,) = _entries(api, "recipient.suspended")
    assert entry["recipient_id"] == seller.id and entry["subject_id"] is None
    assert entry["payload"]["target"] == seller.id
    assert entry["at"].startswith(clock().strftime("%Y-%m-%dT%H:%M"))
    # The reason stays in the suspension history; the ledger keeps a keyed digest of it only.
    assert len(entry["payload"]["reason_digest"]) == 32
    # Distinctive pieces only: a short digit run could turn up in a random id or digest.
    written = json.dumps(entry, ensure_ascii=False)
    assert "홍길동" not in written and "010-1234-5678" not in written
    assert "corrective" not in written

    # The open view closed at once, and a transfer while suspended is refused and recorded so.
    clock.advance(minutes=1)
    refused = _transfer(world)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "recipient_suspended"
    assert _entries(api, "transfer.refused")

    clock.advance(minutes=1)
    resumed = api.post(f"/v1/recipients/{seller.id}/resume")
    assert resumed.status_code == 200, resumed.text
    (lifted,) = _entries(api, "recipient.resumed")
    assert lifted["recipient_id"] == seller.id
    assert lifted["payload"] == {"target": seller.id, "reason_digest": None}
    clock.advance(minutes=1)
    assert _transfer(world).status_code == 201

    audit = _audit(api)
    assert audit == {"ok": True, "transfers_checked": 2, "suspensions": 2, "violations": []}
    # The entries are part of the hash chain like any other.
    assert api.get("/v1/ledger/verify").json()["ok"] is True


def test_suspending_a_country_is_a_ledger_entry_and_blocks_its_transfers(world: World) -> None:
    api, clock = world.api, world.fresh.clock
    assert _transfer(world).status_code == 201
    clock.advance(minutes=1)
    done = api.post("/v1/countries/CN/suspend", json={"reason": REASON})
    assert done.status_code == 200 and done.json()["changed"] is True
    # Suspending again changes nothing and records nothing.
    assert api.post("/v1/countries/CN/suspend").json()["changed"] is False
    (entry,) = _entries(api, "country.suspended")
    assert entry["payload"]["target"] == "CN" and entry["recipient_id"] is None
    assert "홍길동" not in json.dumps(entry, ensure_ascii=False)

    clock.advance(minutes=1)
    refused = _transfer(world)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "country_suspended"

    clock.advance(minutes=1)
    assert api.post("/v1/countries/CN/resume").json()["changed"] is True
    (lifted,) = _entries(api, "country.resumed")
    assert lifted["payload"]["target"] == "CN"
    audit = _audit(api)
    assert audit["ok"] is True and audit["violations"] == []
    assert (audit["transfers_checked"], audit["suspensions"]) == (1, 2)


def test_the_audit_reports_a_transfer_recorded_during_a_suspension(world: World) -> None:
    api, seller, fresh = world.api, world.seller, world.fresh
    gh, clock = fresh.gatehouse, fresh.clock
    assert _transfer(world).status_code == 201
    clock.advance(minutes=1)
    assert api.post(f"/v1/recipients/{seller.id}/suspend").status_code == 200
    suspended_at = clock()
    clock.advance(minutes=1)
    assert api.post("/v1/countries/CN/suspend").status_code == 200
    clock.advance(minutes=1)
    assert _audit(api)["ok"] is True

    # A transfer the gateway would have refused, forged straight into the ledger.
    with gh.engine.begin() as connection:
        forged = ledger.append(
            connection,
            kind="transfer.allowed",
            at=clock(),
            subject_id=world.subject_id,
            recipient_id=seller.id,
            payload={"transfer_id": "trf_forged", "country": "CN", "purpose": "fulfilment"},
        )
    audit = _audit(api)
    assert audit["ok"] is False and audit["transfers_checked"] == 2
    (violation,) = audit["violations"]
    assert violation["transfer_id"] == "trf_forged" and violation["recipient_id"] == seller.id
    assert (violation["shard"], violation["seq"]) == (forged.shard, forged.seq)
    assert {(s["target_type"], s["target"]) for s in violation["suspended"]} == {
        ("recipient", seller.id),
        ("country", "CN"),
    }
    since = {s["target_type"]: s["since"] for s in violation["suspended"]}
    assert since["recipient"].startswith(suspended_at.isoformat()[:19])

    # Once both suspensions are lifted, a later transfer is no violation; the forged one stays.
    clock.advance(minutes=1)
    assert api.post(f"/v1/recipients/{seller.id}/resume").status_code == 200
    assert api.post("/v1/countries/CN/resume").status_code == 200
    clock.advance(minutes=1)
    assert _transfer(world).status_code == 201
    audit = _audit(api)
    assert audit["transfers_checked"] == 3
    assert [v["transfer_id"] for v in audit["violations"]] == ["trf_forged"]


def test_the_audit_needs_the_operator_key(world: World) -> None:
    with api_client(world.api.base_url) as anonymous:
        assert anonymous.get("/v1/audit/suspensions").status_code == 401
    wrong = world.seller.client.get("/v1/audit/suspensions")
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "wrong_audience"
