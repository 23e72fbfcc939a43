"""Over-HTTP set-up shared by gateway tests: terms, sellers, consent, orders, transfers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.factories import TERMS_CLAUSES, recipient_body, subject_body, unique
from tests.support.server import api_client

# A buyer's note with a phone number in it, which a transfer must redact.
DELIVERY_NOTE = "문 앞에 두세요. 부재 시 010-9876-5432 로 연락"


@dataclass
class Seller:
    id: str
    key: str
    client: httpx.Client


def publish_terms(api: httpx.Client, version: str | None = None) -> str:
    version = version or f"t{unique()}"
    response = api.post("/v1/terms", json={"version": version, "clauses": TERMS_CLAUSES})
    assert response.status_code == 201, response.text
    return version


def new_seller(
    api: httpx.Client, base_url: str, country: str, accept: str | None, **overrides: object
) -> Seller:
    created = api.post("/v1/recipients", json=recipient_body(country=country, **overrides))
    assert created.status_code == 201, created.text
    body = created.json()
    client = api_client(base_url, body["api_key"])
    if accept:
        assert client.post(f"/v1/recipient/terms/{accept}/accept").status_code == 200
    return Seller(body["id"], body["api_key"], client)


def new_subject(api: httpx.Client, **overrides: Any) -> str:
    created = api.post("/v1/subjects", json=subject_body(**overrides))
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def new_order(
    api: httpx.Client,
    subject_id: str,
    seller: Seller,
    *,
    customs: bool = False,
    ref: str | None = None,
    note: str = DELIVERY_NOTE,
) -> str:
    response = api.post(
        "/v1/orders",
        json={
            "subject_id": subject_id,
            "recipient_id": seller.id,
            "external_ref": ref or f"ORD-{unique()}",
            "items": [{"sku": "CASE-01", "name": "휴대폰 케이스", "quantity": 2}],
            "delivery_note": note,
            "customs_required": customs,
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def consent(api: httpx.Client, subject_id: str, seller: Seller) -> str:
    notice = api.get(
        "/v1/notices/render",
        params={"subject_id": subject_id, "recipient_id": seller.id, "purpose": "fulfilment"},
    )
    assert notice.status_code == 200, notice.text
    notice_hash = str(notice.json()["notice_hash"])
    granted = api.post(
        f"/v1/subjects/{subject_id}/consents",
        json={"notice_hash": notice_hash, "granted": True, "channel": "web"},
    )
    assert granted.status_code == 201, granted.text
    return str(granted.json()["id"])


def allowed_transfer(
    api: httpx.Client,
    subject_id: str,
    seller: Seller,
    *,
    customs: bool = False,
    ref: str | None = None,
) -> tuple[str, str]:
    """An order with an allowed fulfilment transfer; returns (order id, transfer id)."""
    order_id = new_order(api, subject_id, seller, customs=customs, ref=ref)
    response = api.post(
        f"/v1/orders/{order_id}/transfers", json={"purpose": "fulfilment", "flow": "provision"}
    )
    assert response.status_code == 201, response.text
    return order_id, str(response.json()["transfer_id"])
