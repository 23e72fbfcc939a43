"""The AliExpress case, replayed end to end over HTTP on each database.

A marketplace hands a Korean buyer's order to a seller abroad. Each unlawful step is refused
with its reason, the lawful one releases only what shipping needs, and every step is in the
ledger.
"""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import Clock
from tests.support.factories import recipient_body, subject_body, unique
from tests.support.gateway import DELIVERY_NOTE, Seller, new_order, new_seller, publish_terms


@pytest.fixture
def terms(api: httpx.Client) -> str:
    return publish_terms(api)


def _entries(api: httpx.Client, subject_id: str) -> list[dict[str, object]]:
    response = api.get("/v1/ledger/entries", params={"subject_id": subject_id, "limit": 200})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def _order(api: httpx.Client, subject_id: str, seller: Seller, *, customs: bool = False) -> str:
    """An order whose delivery note carries the buyer's phone number and email address."""
    note = f"{DELIVERY_NOTE}, 메일 buyer@example.kr"
    return new_order(api, subject_id, seller, customs=customs, ref=f"AE-{unique()}", note=note)


def test_aliexpress_case_end_to_end(
    api: httpx.Client,
    live_server,
    clock: Clock,
    terms: str,  # type: ignore[no-untyped-def]
) -> None:
    body = subject_body(phone="010-2468-1357", name="홍길동")
    subject_id = api.post("/v1/subjects", json=body).json()["id"]

    # 1. A seller that never accepted the terms is refused: its contract lacks the protections.
    unsigned = new_seller(api, live_server.url, "CN", accept=None)
    order = _order(api, subject_id, unsigned)
    refused = api.post(
        f"/v1/orders/{order}/transfers", json={"purpose": "fulfilment", "flow": "provision"}
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "recipient_not_eligible"
    assert "accept the current terms" in refused.json()["error"]["message"]

    # 2. A seller in good standing, but the buyer never consented: no lawful basis.
    seller = new_seller(api, live_server.url, "CN", accept=terms)
    order = _order(api, subject_id, seller)
    transfer = {"purpose": "fulfilment", "flow": "provision"}
    refused = api.post(f"/v1/orders/{order}/transfers", json=transfer)
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "no_lawful_basis"
    assert "consent" in error["message"]
    assert seller.client.get("/v1/recipient/transfers").json()["items"] == []

    # 3. The checkout notice names the seller itself and its country, never "worldwide".
    notice = api.get(
        "/v1/notices/render",
        params={"subject_id": subject_id, "recipient_id": seller.id, "purpose": "fulfilment"},
    )
    assert notice.status_code == 200, notice.text
    text = notice.json()["text"]
    assert notice.json()["locale"] == "ko"
    assert "중국" in text and "전 세계" not in text.lower() and "worldwide" not in text.lower()
    seller_name = api.get(f"/v1/recipients/{seller.id}").json()["legal_name"]
    assert seller_name in text
    consent = api.post(
        f"/v1/subjects/{subject_id}/consents",
        json={"notice_hash": notice.json()["notice_hash"], "granted": True, "channel": "web"},
    )
    assert consent.status_code == 201, consent.text

    # 4. Now the transfer is allowed, and the view holds only what shipping needs.
    allowed = api.post(f"/v1/orders/{order}/transfers", json=transfer)
    assert allowed.status_code == 201, allowed.text
    decision = allowed.json()
    assert decision["basis"] == "SEPARATE_CONSENT"
    assert decision["notice_hash"] == notice.json()["notice_hash"]
    assert "customs_code" not in decision["fields"]
    view = seller.client.get(f"/v1/recipient/transfers/{decision['transfer_id']}")
    assert view.status_code == 200, view.text
    fields = view.json()["recipient_fields"]
    assert fields["name"] == "홍*동"
    assert re.fullmatch(r"0505-\d{4}-\d{4}", fields["phone"])
    assert "customs_code" not in fields
    assert fields["address"]["line1"] == body["address"]["line1"]
    assert (
        "010-9876-5432" not in fields["delivery_note"]
        and "buyer@example.kr" not in fields["delivery_note"]
    )
    assert "문 앞에 두세요" in fields["delivery_note"]
    raw = view.text
    assert "2468" not in raw and body["customs_code"] not in raw and body["email"] not in raw

    # 5. Another seller's key cannot see it: 404, as if it did not exist.
    other = new_seller(api, live_server.url, "CN", accept=terms)
    assert other.client.get(f"/v1/recipient/transfers/{decision['transfer_id']}").status_code == 404

    # 6. The regulator suspends transfers to the country: open views close at once, and the
    #    next transfer is refused.
    second_order = _order(api, subject_id, seller)
    assert api.post("/v1/countries/CN/suspend", json={"reason": "PIPC order"}).status_code == 200
    try:
        blocked = api.post(f"/v1/orders/{second_order}/transfers", json=transfer)
        assert blocked.status_code == 403
        assert blocked.json()["error"]["code"] == "country_suspended"
    finally:
        assert api.post("/v1/countries/CN/resume").status_code == 200
    gone = seller.client.get(f"/v1/recipient/transfers/{decision['transfer_id']}")
    assert gone.status_code == 410
    assert gone.json()["error"]["details"]["reason"] == "country_suspended"

    # 7. After the resumption a new order is delivered; N days later its view closes for good.
    third_order = _order(api, subject_id, seller)
    third = api.post(f"/v1/orders/{third_order}/transfers", json=transfer).json()["transfer_id"]
    assert (
        api.post(f"/v1/orders/{third_order}/events", json={"type": "delivered"}).status_code == 201
    )
    clock.advance(days=6, hours=23)
    assert seller.client.get(f"/v1/recipient/transfers/{third}").status_code == 200
    clock.advance(hours=2)
    closed = seller.client.get(f"/v1/recipient/transfers/{third}")
    assert closed.status_code == 410
    assert closed.json()["error"]["code"] == "view_closed"
    assert closed.json()["error"]["details"]["reason"] == "delivered_window_ended"

    # 8. Every step is in the ledger, in order.
    kinds = [entry["kind"] for entry in _entries(api, subject_id)]
    expected = [
        "order.created",
        "transfer.refused",  # seller without accepted terms
        "order.created",
        "transfer.refused",  # no consent
        "consent.granted",
        "transfer.allowed",
        "view.read",
        "order.created",
        "view.closed",  # the country suspension closed the open view
        "transfer.refused",  # country suspended
        "order.created",
        "transfer.allowed",
        "order.delivered",
        "view.read",
        "view.closed",  # delivery + N days
    ]
    assert kinds == expected
    assert api.get("/v1/ledger/verify").json()["ok"] is True
    for client in (unsigned.client, seller.client, other.client):
        client.close()


def test_refused_transfer_releases_nothing(api: httpx.Client, live_server, terms: str) -> None:  # type: ignore[no-untyped-def]
    """Invariant 3: a refusal creates no view, leases no safe number, and names no fields."""
    subject_id = api.post("/v1/subjects", json=subject_body()).json()["id"]
    seller = new_seller(api, live_server.url, "VN", accept=terms)
    order = _order(api, subject_id, seller, customs=True)
    refused = api.post(
        f"/v1/orders/{order}/transfers", json={"purpose": "fulfilment", "flow": "provision"}
    )
    assert refused.status_code == 403
    transfer_id = refused.json()["error"]["details"]["transfer_id"]
    assert (
        seller.client.get("/v1/recipient/transfers", params={"status": "all"}).json()["items"] == []
    )
    assert seller.client.get(f"/v1/recipient/transfers/{transfer_id}").status_code == 404
    record = api.get("/v1/transfers", params={"subject_id": subject_id}).json()["items"]
    assert [(r["allowed"], r["fields"], r["basis"]) for r in record] == [(False, [], None)]
    seller.client.close()


def test_changed_recipient_needs_a_new_consent(api: httpx.Client, live_server, terms: str) -> None:  # type: ignore[no-untyped-def]
    """Art. 28-8(3), R5: once what the notice said about the seller changes, ask again."""
    subject_id = api.post("/v1/subjects", json=subject_body()).json()["id"]
    seller = new_seller(api, live_server.url, "JP", accept=terms)
    params = {"subject_id": subject_id, "recipient_id": seller.id, "purpose": "fulfilment"}
    first = api.get("/v1/notices/render", params=params).json()
    api.post(
        f"/v1/subjects/{subject_id}/consents",
        json={"notice_hash": first["notice_hash"], "granted": True, "channel": "app"},
    )
    transfer = {"purpose": "fulfilment", "flow": "provision"}
    assert (
        api.post(
            f"/v1/orders/{_order(api, subject_id, seller)}/transfers", json=transfer
        ).status_code
        == 201
    )

    changed = api.patch(f"/v1/recipients/{seller.id}", json={"retention_days": 365})
    assert changed.status_code == 200 and changed.json()["retention_days"] == 365
    assert changed.json()["eligible"] is True  # still eligible; only the notice is stale
    refused = api.post(f"/v1/orders/{_order(api, subject_id, seller)}/transfers", json=transfer)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "no_lawful_basis"
    assert refused.json()["error"]["details"]["stale_notices"] == [first["notice_hash"]]

    second = api.get("/v1/notices/render", params=params).json()
    assert second["notice_hash"] != first["notice_hash"] and "365" in second["text"]
    api.post(
        f"/v1/subjects/{subject_id}/consents",
        json={"notice_hash": second["notice_hash"], "granted": True, "channel": "app"},
    )
    again = api.post(f"/v1/orders/{_order(api, subject_id, seller)}/transfers", json=transfer)
    assert again.status_code == 201 and again.json()["notice_hash"] == second["notice_hash"]
    seller.client.close()


def test_consent_is_explicit_and_history_is_append_only(
    api: httpx.Client, live_server, terms: str
) -> None:  # type: ignore[no-untyped-def]
    subject_id = api.post("/v1/subjects", json=subject_body()).json()["id"]
    seller = new_seller(api, live_server.url, "SG", accept=terms)
    notice = api.get(
        "/v1/notices/render",
        params={
            "subject_id": subject_id,
            "recipient_id": seller.id,
            "purpose": "fulfilment",
            "locale": "en",
        },
    ).json()
    assert notice["locale"] == "en" and "Singapore" in notice["text"]
    missing = api.post(
        f"/v1/subjects/{subject_id}/consents",
        json={"notice_hash": notice["notice_hash"], "channel": "web"},
    )
    assert missing.status_code == 422  # no default: granted must be given
    as_string = api.post(
        f"/v1/subjects/{subject_id}/consents",
        json={"notice_hash": notice["notice_hash"], "granted": "true", "channel": "web"},
    )
    assert as_string.status_code == 422
    # The English notice may be shown beside the Korean one, but cannot carry the consent.
    assert notice["carries_consent"] is False
    english = api.post(
        f"/v1/subjects/{subject_id}/consents",
        json={"notice_hash": notice["notice_hash"], "granted": True, "channel": "web"},
    )
    assert english.status_code == 422
    assert english.json()["error"]["code"] == "notice_language_not_binding"
    korean = api.get(
        "/v1/notices/render",
        params={"subject_id": subject_id, "recipient_id": seller.id, "purpose": "fulfilment"},
    ).json()
    assert korean["locale"] == "ko" and korean["carries_consent"] is True
    granted = api.post(
        f"/v1/subjects/{subject_id}/consents",
        json={"notice_hash": korean["notice_hash"], "granted": True, "channel": "web"},
    ).json()
    order = _order(api, subject_id, seller)
    allowed = api.post(
        f"/v1/orders/{order}/transfers", json={"purpose": "fulfilment", "flow": "provision"}
    )
    assert allowed.status_code == 201
    withdrawn = api.post(
        f"/v1/subjects/{subject_id}/consents/{granted['id']}/withdraw", json={"channel": "phone"}
    )
    assert withdrawn.status_code == 201 and withdrawn.json()["withdraws"] == granted["id"]
    # The view resting on that consent closed at once; new transfers are refused.
    view = seller.client.get(f"/v1/recipient/transfers/{allowed.json()['transfer_id']}")
    assert (
        view.status_code == 410 and view.json()["error"]["details"]["reason"] == "consent_withdrawn"
    )
    refused = api.post(
        f"/v1/orders/{_order(api, subject_id, seller)}/transfers",
        json={"purpose": "fulfilment", "flow": "provision"},
    )
    assert refused.json()["error"]["code"] == "no_lawful_basis"
    states = api.get(f"/v1/subjects/{subject_id}/consents").json()["items"]
    assert len(states) == 1 and states[0]["granted"] is False and states[0]["withdrawn_at"]
    seller.client.close()


def test_notice_for_an_incomplete_recipient_fails_naming_each_gap(api: httpx.Client) -> None:
    subject_id = api.post("/v1/subjects", json=subject_body()).json()["id"]
    incomplete = api.post(
        "/v1/recipients", json=recipient_body(privacy_officer={}, retention_days=None)
    ).json()
    response = api.get(
        "/v1/notices/render",
        params={
            "subject_id": subject_id,
            "recipient_id": incomplete["id"],
            "purpose": "fulfilment",
        },
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "notice_incomplete"
    gaps = {(gap["recipient_id"], gap["item"]) for gap in error["details"]["missing"]}
    assert (incomplete["id"], "recipient_privacy_officer_contact") in gaps
    assert (incomplete["id"], "recipient_retention") in gaps
    unknown = api.get(
        "/v1/notices/render",
        params={"subject_id": subject_id, "recipient_id": "rcp_nope", "purpose": "fulfilment"},
    )
    assert unknown.status_code == 404


def test_published_disclosure_is_the_basis_for_entrustment_only(
    api: httpx.Client,
    live_server,
    terms: str,  # type: ignore[no-untyped-def]
) -> None:
    subject_id = api.post("/v1/subjects", json=subject_body()).json()["id"]
    carrier = new_seller(api, live_server.url, "SG", accept=terms, kind="logistics")
    published = api.post(
        "/v1/disclosures",
        json={"recipient_ids": [carrier.id], "purpose": "fulfilment", "flow": "entrustment"},
    )
    assert published.status_code == 201, published.text
    entrust = api.post(
        f"/v1/orders/{_order(api, subject_id, carrier)}/transfers",
        json={"purpose": "fulfilment", "flow": "entrustment"},
    )
    assert entrust.status_code == 201, entrust.text
    assert entrust.json()["basis"] == "CONTRACT_ENTRUST_STORE"
    assert entrust.json()["notice_hash"] == published.json()["notice"]["notice_hash"]
    provide = api.post(
        f"/v1/orders/{_order(api, subject_id, carrier)}/transfers",
        json={"purpose": "fulfilment", "flow": "provision"},
    )
    assert provide.status_code == 403 and provide.json()["error"]["code"] == "no_lawful_basis"
    carrier.client.close()
