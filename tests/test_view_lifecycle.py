"""A view's life follows its order, over HTTP on each database; time is the test clock."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from gatehouse.services.runtime import Gatehouse
from gatehouse.services.sweeps import sweep_views
from tests.conftest import Clock, LiveServer
from tests.support.factories import subject_body
from tests.support.gateway import Seller, allowed_transfer, consent, new_seller, publish_terms


@pytest.fixture
def setup(api: httpx.Client, live_server: LiveServer) -> Iterator[tuple[str, Seller]]:
    terms = publish_terms(api)
    subject_id = api.post("/v1/subjects", json=subject_body(name="김민수")).json()["id"]
    seller = new_seller(api, live_server.url, "HK", accept=terms)
    consent(api, subject_id, seller)
    yield subject_id, seller
    seller.client.close()


def _kinds(api: httpx.Client, subject_id: str) -> list[str]:
    items = api.get("/v1/ledger/entries", params={"subject_id": subject_id, "limit": 500}).json()[
        "items"
    ]
    return [item["kind"] for item in items]


def _view(seller: Seller, transfer_id: str) -> httpx.Response:
    return seller.client.get(f"/v1/recipient/transfers/{transfer_id}")


def test_shipped_changes_nothing_and_confirmation_masks_further(
    api: httpx.Client, setup: tuple[str, Seller]
) -> None:
    subject_id, seller = setup
    order, transfer = allowed_transfer(api, subject_id, seller)
    before = _view(seller, transfer).json()
    assert api.post(f"/v1/orders/{order}/events", json={"type": "shipped"}).status_code == 201
    assert _view(seller, transfer).json() == before
    assert api.post(f"/v1/orders/{order}/events", json={"type": "delivered"}).status_code == 201
    assert (
        api.post(f"/v1/orders/{order}/events", json={"type": "purchase_confirmed"}).status_code
        == 201
    )
    after = _view(seller, transfer).json()["recipient_fields"]
    assert before["recipient_fields"]["name"] == "김*수"
    assert after["name"] != "김*수" and after["name"].startswith("김")
    assert after["phone"] != before["recipient_fields"]["phone"]
    assert after["address"]["line1"] != before["recipient_fields"]["address"]["line1"]
    kinds = _kinds(api, subject_id)
    assert kinds.count("order.shipped") == 1 and kinds.count("order.purchase_confirmed") == 1


def test_cancel_closes_at_once(api: httpx.Client, setup: tuple[str, Seller]) -> None:
    subject_id, seller = setup
    order, transfer = allowed_transfer(api, subject_id, seller)
    assert api.post(f"/v1/orders/{order}/events", json={"type": "cancelled"}).status_code == 201
    closed = _view(seller, transfer)
    assert closed.status_code == 410
    assert closed.json()["error"]["details"]["reason"] == "order_cancelled"
    again = api.post(f"/v1/orders/{order}/events", json={"type": "delivered"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_transition"
    assert "view.closed" in _kinds(api, subject_id)


def test_ninety_days_at_most_and_the_sweep_logs_it(
    api: httpx.Client, setup: tuple[str, Seller], clock: Clock, gatehouse: Gatehouse
) -> None:
    subject_id, seller = setup
    _, transfer = allowed_transfer(api, subject_id, seller)
    clock.advance(days=89, hours=23)
    assert _view(seller, transfer).status_code == 200
    clock.advance(hours=1)
    assert sweep_views(gatehouse) >= 1  # closed by the worker's sweep, not by a read
    closed = _view(seller, transfer)
    assert closed.status_code == 410
    assert closed.json()["error"]["details"]["reason"] == "max_window_ended"
    assert _kinds(api, subject_id).count("view.closed") == 1


def test_suspending_recipient_or_country_closes_open_views_at_once(
    api: httpx.Client, setup: tuple[str, Seller], live_server: LiveServer
) -> None:
    subject_id, seller = setup
    _, transfer = allowed_transfer(api, subject_id, seller)
    assert (
        api.post(f"/v1/recipients/{seller.id}/suspend", json={"reason": "audit"}).status_code == 200
    )
    kinds = _kinds(api, subject_id)
    assert kinds[-1] == "view.closed"  # closed by the suspension itself
    assert api.post(f"/v1/recipients/{seller.id}/resume").status_code == 200
    closed = _view(seller, transfer)
    assert (
        closed.status_code == 410
        and closed.json()["error"]["details"]["reason"] == "recipient_suspended"
    )

    _, second = allowed_transfer(api, subject_id, seller)
    assert api.post("/v1/countries/HK/suspend").status_code == 200
    try:
        closed = _view(seller, second)
        assert closed.status_code == 410
        assert closed.json()["error"]["details"]["reason"] == "country_suspended"
    finally:
        api.post("/v1/countries/HK/resume")


def test_closing_releases_the_safe_number_after_a_cool_down(
    api: httpx.Client, setup: tuple[str, Seller], gatehouse: Gatehouse, clock: Clock
) -> None:
    from sqlalchemy import select

    from gatehouse.store.tables import safe_numbers

    subject_id, seller = setup
    order, transfer = allowed_transfer(api, subject_id, seller)
    number = _view(seller, transfer).json()["recipient_fields"]["phone"]
    api.post(f"/v1/orders/{order}/events", json={"type": "cancelled"})
    with gatehouse.engine.connect() as connection:
        row = connection.execute(select(safe_numbers).where(safe_numbers.c.number == number)).one()
    assert row.released_at == clock()
    assert (row.reusable_after - row.released_at).days == 30
