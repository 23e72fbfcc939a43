"""Onward transfers (PIPA Art. 28-11) in the register, in the notice, and in consent."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.factories import recipient_body, subject_body
from tests.support.gateway import (
    allowed_transfer,
    consent,
    new_order,
    new_seller,
    publish_terms,
)

SINGAPORE = {
    "legal_name": "Lion City Logistics Pte. Ltd.",
    "country": "sg",
    "purpose": "International shipping to Korea",
    "items": ["name", "address", "name"],
}
GERMANY = {
    "legal_name": "Rheinland Lager GmbH",
    "country": "DE",
    "purpose": "Returns storage",
    "items": ["address"],
}


def test_onward_transfers_round_trip(api: httpx.Client) -> None:
    created = api.post("/v1/recipients", json=recipient_body(onward_transfers=[SINGAPORE]))
    assert created.status_code == 201, created.text
    # Countries are normalised and repeated items listed once.
    stored = [{**SINGAPORE, "country": "SG", "items": ["name", "address"]}]
    assert created.json()["onward_transfers"] == stored
    recipient_id = created.json()["id"]
    assert api.get(f"/v1/recipients/{recipient_id}").json()["onward_transfers"] == stored

    patched = api.patch(
        f"/v1/recipients/{recipient_id}", json={"onward_transfers": [SINGAPORE, GERMANY]}
    )
    assert patched.status_code == 200, patched.text
    assert [o["legal_name"] for o in patched.json()["onward_transfers"]] == [
        "Lion City Logistics Pte. Ltd.",
        "Rheinland Lager GmbH",
    ]
    # Other changes leave them alone; null clears them.
    kept = api.patch(f"/v1/recipients/{recipient_id}", json={"retention_days": 60})
    assert len(kept.json()["onward_transfers"]) == 2
    cleared = api.patch(f"/v1/recipients/{recipient_id}", json={"onward_transfers": None})
    assert cleared.json()["onward_transfers"] == []
    assert api.get(f"/v1/recipients/{recipient_id}").json()["onward_transfers"] == []

    plain = api.post("/v1/recipients", json=recipient_body()).json()
    assert plain["onward_transfers"] == []


@pytest.mark.parametrize(
    ("onward", "code", "field"),
    [
        ({"legal_name": "해외 협력사"}, "group_name_not_allowed", "onward_transfers[0].legal_name"),
        ({"legal_name": "Partners worldwide"}, "group_name_not_allowed", None),
        ({"country": "Singapore"}, "invalid_country", "onward_transfers[0].country"),
        ({"items": ["passport"]}, "invalid_onward_transfer", "onward_transfers[0].items"),
        ({"items": []}, "invalid_onward_transfer", "onward_transfers[0]"),
        ({"purpose": "   "}, "invalid_onward_transfer", "onward_transfers[0]"),
    ],
)
def test_invalid_onward_transfers_are_refused(
    api: httpx.Client, onward: dict[str, Any], code: str, field: str | None
) -> None:
    response = api.post(
        "/v1/recipients", json=recipient_body(onward_transfers=[{**SINGAPORE, **onward}])
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == code
    if field:
        assert error["details"]["field"] == field


def test_at_most_twenty_onward_transfers(api: httpx.Client) -> None:
    many = [{**GERMANY, "legal_name": f"Rheinland Lager {n} GmbH"} for n in range(21)]
    response = api.post("/v1/recipients", json=recipient_body(onward_transfers=many))
    assert response.status_code == 422
    assert (
        api.post("/v1/recipients", json=recipient_body(onward_transfers=many[:20])).status_code
        == 201
    )


def test_notice_shows_onward_transfers(api: httpx.Client, live_server) -> None:  # type: ignore[no-untyped-def]
    terms = publish_terms(api)
    subject_id = api.post("/v1/subjects", json=subject_body()).json()["id"]
    seller = new_seller(api, live_server.url, "CN", terms, onward_transfers=[SINGAPORE])
    params = {"subject_id": subject_id, "recipient_id": seller.id, "purpose": "fulfilment"}
    ko = api.get("/v1/notices/render", params=params)
    assert ko.status_code == 200, ko.text
    assert (
        "이전받는 자의 국외 재이전(제3국 이전) 현황: Lion City Logistics Pte. Ltd.(싱가포르) — "
        "이용목적: International shipping to Korea, 이전 항목: 성명, 주소"
    ) in ko.json()["text"]
    en = api.get("/v1/notices/render", params={**params, "locale": "en"})
    assert (
        "Onward transfers by the recipient: Lion City Logistics Pte. Ltd. (Singapore), "
        "purpose: International shipping to Korea, items: Name, Address"
    ) in en.json()["text"]

    other = new_seller(api, live_server.url, "JP", terms)
    none = api.get("/v1/notices/render", params={**params, "recipient_id": other.id})
    assert "이전받는 자의 국외 재이전(제3국 이전) 현황: 없음" in none.json()["text"]
    seller.client.close()
    other.client.close()


def test_declaring_an_onward_transfer_lapses_consent(api: httpx.Client, live_server) -> None:  # type: ignore[no-untyped-def]
    """R5: the customer agreed to a notice that said "none"; now it would say otherwise."""
    terms = publish_terms(api)
    subject_id = api.post("/v1/subjects", json=subject_body()).json()["id"]
    seller = new_seller(api, live_server.url, "CN", terms)
    consent(api, subject_id, seller)
    allowed_transfer(api, subject_id, seller)

    changed = api.patch(f"/v1/recipients/{seller.id}", json={"onward_transfers": [SINGAPORE]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["eligible"] is True  # the register entry is fine; the consent is not
    transfer = {"purpose": "fulfilment", "flow": "provision"}
    refused = api.post(f"/v1/orders/{new_order(api, subject_id, seller)}/transfers", json=transfer)
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "no_lawful_basis"
    # The consent is still on record, but the notice it answered no longer describes the seller.
    assert len(refused.json()["error"]["details"]["stale_notices"]) == 1

    # A consent to the notice that names the onward recipient makes the transfer lawful again.
    consent(api, subject_id, seller)
    allowed_transfer(api, subject_id, seller)
    seller.client.close()
