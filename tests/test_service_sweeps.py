"""The worker's sweep of expired views, on the in-memory unit of work (no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from gatehouse.services.sweeps import sweep_views
from tests.support.fake_world import World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


def test_the_sweep_closes_expired_views_once_and_logs_each(w: World) -> None:
    subject_id = w.subject()
    seller = w.recipient()
    early = w.transfer(w.order(subject_id, seller), consent_notice=None)
    w.advance(days=10)
    late = w.transfer(w.order(subject_id, seller), consent_notice=None)
    w.clock.now = w.db.tables.views[early].expires_at
    opened = w.db.opened

    assert sweep_views(w.gh) == 1

    assert w.db.opened == opened + 1
    assert w.db.tables.closed_views == {early: (w.clock(), "max_window_ended")}
    assert late not in w.db.tables.closed_views
    cooldown = w.gh.packs.by_id("KR-PIPA").views.safe_number_cooldown_days
    assert w.db.tables.released_numbers == [(early, w.clock(), w.clock() + timedelta(cooldown))]
    (entry,) = w.db.entries("view.closed")
    assert entry.payload == {"transfer_id": early, "reason": "max_window_ended"}
    assert sweep_views(w.gh) == 0 and len(w.db.entries("view.closed")) == 1


def test_a_delivered_orders_window_ends_as_such(w: World) -> None:
    subject_id = w.subject()
    seller = w.recipient()
    order_id = w.order(subject_id, seller)
    transfer_id = w.transfer(order_id, consent_notice=None)
    tables = w.db.tables
    tables.orders[order_id] = replace(
        tables.orders[order_id], delivered_at=w.clock(), status="delivered"
    )
    # Delivery shortened the window to less than the longest a view may stay open.
    pack = w.gh.packs.by_id("KR-PIPA")
    shortened = w.clock() + timedelta(days=pack.views.max_days - 1)
    tables.views[transfer_id] = replace(tables.views[transfer_id], expires_at=shortened)
    w.advance(days=pack.views.max_days)

    assert sweep_views(w.gh) == 1
    assert w.db.tables.closed_views[transfer_id][1] == "delivered_window_ended"


def test_a_failing_sweep_closes_nothing(w: World) -> None:
    subject_id = w.subject()
    seller = w.recipient()
    for _ in range(2):
        w.transfer(w.order(subject_id, seller), consent_notice=None)
    w.advance(days=400)
    before = w.db.committed()

    w.db.fail("Ledger.append", RuntimeError("disk full"), times=1)
    with pytest.raises(RuntimeError):
        sweep_views(w.gh)

    assert w.db.tables == before
    assert sweep_views(w.gh) == 2
