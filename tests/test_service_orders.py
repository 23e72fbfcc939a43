"""Orders and their events, on the in-memory unit of work (no database)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from gatehouse.domain.errors import Conflict, NotFound
from gatehouse.domain.orders import OrderEvent, OrderItem
from gatehouse.services import orders
from gatehouse.services.subjects import subject_cipher
from gatehouse.vault import KeyShredded
from tests.support.fake_world import World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


def new_order(subject_id: str, recipient_id: str, ref: str = "ORD-1") -> orders.NewOrder:
    return orders.NewOrder(
        subject_id=subject_id,
        recipient_id=recipient_id,
        external_ref=f" {ref} ",
        items=[OrderItem("CASE-01", "휴대폰 케이스", 2)],
        delivery_note="  경비실에 맡겨 주세요 ",
        customs_required=True,
    )


def test_an_orders_contents_are_sealed_and_its_creation_ledgered(w: World) -> None:
    subject_id = w.subject()
    seller = w.recipient()

    order_id = orders.create_order(w.gh, new_order(subject_id, seller.id))

    stored = w.db.tables.orders[order_id]
    assert stored.external_ref == "ORD-1" and stored.has_delivery_note and stored.customs_required
    sealed = w.db.tables.ciphertexts[(subject_id, orders.order_scope(order_id))]
    assert set(sealed) == {"items", "delivery_note"}
    assert "케이스".encode() not in sealed["items"]
    with w.gh.unit_of_work(read_only=True) as uow:
        cipher = subject_cipher(w.gh, uow.subjects, subject_id)
        assert cipher is not None
        items, note = orders.sealed_contents(cipher, uow.subjects, stored)
    assert json.dumps(items, ensure_ascii=False).count("휴대폰 케이스") == 1
    assert note == "경비실에 맡겨 주세요"
    (entry,) = w.db.entries("order.created")
    assert entry.payload == {
        "order_id": order_id,
        "customs_required": True,
        "fields": ["items", "delivery_note"],
    }


def test_a_subjects_orders_open_together_and_only_their_own(w: World) -> None:
    subject_id, other_id = w.subject(), w.subject()
    seller = w.recipient()
    first = orders.create_order(w.gh, new_order(subject_id, seller.id, "ORD-1"))
    plain = orders.NewOrder(
        subject_id=subject_id,
        recipient_id=seller.id,
        external_ref="ORD-2",
        items=[OrderItem("MUG-02", "머그컵", 1)],
        delivery_note=None,
        customs_required=False,
    )
    second = orders.create_order(w.gh, plain)
    theirs = orders.create_order(w.gh, new_order(other_id, seller.id, "ORD-3"))
    stored = w.db.tables.orders
    with w.gh.unit_of_work(read_only=True) as uow:
        cipher = subject_cipher(w.gh, uow.subjects, subject_id)
        assert cipher is not None
        opened = orders.sealed_contents_of(
            cipher, uow.subjects, subject_id, [stored[first], stored[second]]
        )
        with pytest.raises(ValueError, match="subject's own"):
            orders.sealed_contents_of(cipher, uow.subjects, subject_id, [stored[theirs]])
        assert orders.sealed_contents_of(cipher, uow.subjects, subject_id, []) == {}
    assert set(opened) == {first, second}
    assert opened[first][1] == "경비실에 맡겨 주세요"
    assert opened[second] == ([{"sku": "MUG-02", "name": "머그컵", "quantity": 1}], None)


def test_an_order_needs_a_live_subject_a_known_recipient_and_a_new_reference(w: World) -> None:
    subject_id = w.subject()
    seller = w.recipient()
    orders.create_order(w.gh, new_order(subject_id, seller.id))
    before = w.db.committed()

    with pytest.raises(Conflict) as duplicate:
        orders.create_order(w.gh, new_order(subject_id, seller.id))
    assert duplicate.value.code == "duplicate_order"
    with pytest.raises(NotFound) as nobody:
        orders.create_order(w.gh, new_order(subject_id, "rcp_nobody", "ORD-2"))
    assert nobody.value.code == "recipient_not_found"
    w.erase(subject_id)
    with pytest.raises(KeyShredded):
        orders.create_order(w.gh, new_order(subject_id, seller.id, "ORD-3"))
    assert w.db.tables.orders == before.orders and w.db.entries() == list(
        e for _, e in sorted(before.entries.items())
    )


def test_delivery_shortens_the_view_and_cancellation_closes_it(w: World) -> None:
    subject_id = w.subject()
    seller = w.recipient()
    delivered = w.order(subject_id, seller)
    cancelled = w.order(subject_id, seller)
    long_view = w.transfer(delivered, consent_notice=None)
    doomed = w.transfer(cancelled, consent_notice=None)
    opened_until = w.db.tables.views[long_view].expires_at
    w.advance(days=1)

    orders.record_event(w.gh, delivered, OrderEvent.SHIPPED)
    result = orders.record_event(w.gh, delivered, OrderEvent.DELIVERED)
    orders.record_event(w.gh, cancelled, OrderEvent.CANCELLED)

    assert (result.order_id, result.status, result.at) == (delivered, "delivered", w.clock())
    assert w.db.tables.orders[delivered].delivered_at == w.clock()
    pack = w.gh.packs.by_id("KR-PIPA")
    shortened = w.db.tables.views[long_view].expires_at
    assert shortened == w.clock() + timedelta(days=pack.views.close_days_after_delivery)
    assert shortened < opened_until
    assert w.db.tables.closed_views == {doomed: (w.clock(), "order_cancelled")}
    kinds = [e.kind for e in w.db.entries() if e.kind != "order.created"]
    assert sorted(kinds) == sorted(
        ["order.shipped", "order.delivered", "order.cancelled", "view.closed"]
    )


def test_events_follow_the_order_lifecycle(w: World) -> None:
    subject_id = w.subject()
    order_id = w.order(subject_id, w.recipient())
    orders.record_event(w.gh, order_id, OrderEvent.CANCELLED)
    before = w.db.committed()

    with pytest.raises(Conflict) as late:
        orders.record_event(w.gh, order_id, OrderEvent.DELIVERED)
    assert late.value.code == "invalid_transition"
    with pytest.raises(NotFound):
        orders.record_event(w.gh, "ord_nobody", OrderEvent.SHIPPED)
    assert w.db.tables == before
