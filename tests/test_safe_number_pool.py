"""A 0505 safe number rests after its view closes, so a courier who calls an old number never
reaches the next customer who got it.

The view closes for real (the order is cancelled over HTTP). The transfer service draws random
candidates, so a clash with one released number is too rare to wait for: the test then drives
the pool with a candidate list that holds that number, at moments on either side of the
cool-down that the rule pack sets (``[views] safe_number_cooldown_days``, 30 days).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from gatehouse.services.runtime import Gatehouse
from gatehouse.store.orders import SafeNumberPool
from gatehouse.store.tables import safe_numbers
from tests.conftest import Fresh
from tests.support.gateway import (
    Seller,
    allowed_transfer,
    consent,
    new_seller,
    new_subject,
    publish_terms,
)
from tests.support.server import operator_api

FRESH_NUMBER = "0505-1000-0000"


@dataclass
class Site:
    fresh: Fresh
    api: httpx.Client
    seller: Seller
    subject_id: str


@pytest.fixture
def site(fresh: Fresh) -> Iterator[Site]:
    with operator_api(fresh.gatehouse) as (server, api):
        seller = new_seller(api, server.url, "CN", publish_terms(api))
        subject_id = new_subject(api)
        consent(api, subject_id, seller)
        try:
            yield Site(fresh, api, seller, subject_id)
        finally:
            seller.client.close()


def lease_row(gh: Gatehouse, number: str) -> tuple[str | None, datetime | None, datetime | None]:
    """(transfer, released at, reusable after) of one number."""
    with gh.engine.connect() as connection:
        row = connection.execute(select(safe_numbers).where(safe_numbers.c.number == number)).one()
    return row.transfer_id, row.released_at, row.reusable_after


def number_of(gh: Gatehouse, transfer_id: str) -> str:
    with gh.engine.connect() as connection:
        return str(
            connection.execute(
                select(safe_numbers.c.number).where(safe_numbers.c.transfer_id == transfer_id)
            ).scalar_one()
        )


def lease(gh: Gatehouse, candidates: list[str], transfer_id: str, at: datetime) -> str | None:
    with gh.engine.begin() as connection:
        return SafeNumberPool(connection).lease(candidates, transfer_id, at)


def holder(gh: Gatehouse, number: str) -> str | None:
    """The transfer leasing ``number`` now, read from the pool's table."""
    with gh.engine.connect() as connection:
        row = connection.execute(
            select(safe_numbers.c.transfer_id).where(
                safe_numbers.c.number == number, safe_numbers.c.released_at.is_(None)
            )
        ).first()
    return None if row is None else str(row.transfer_id)


def test_a_released_number_rests_for_the_cool_down_then_may_be_reused(site: Site) -> None:
    gh, clock = site.fresh.gatehouse, site.fresh.clock
    order_id, first = allowed_transfer(site.api, site.subject_id, site.seller)
    number = number_of(gh, first)
    view = site.seller.client.get(f"/v1/recipient/transfers/{first}")
    assert view.status_code == 200 and view.json()["recipient_fields"]["phone"] == number
    assert holder(gh, number) == first

    closed_at = clock()
    cancelled = site.api.post(f"/v1/orders/{order_id}/events", json={"type": "cancelled"})
    assert cancelled.status_code == 201, cancelled.text
    assert site.seller.client.get(f"/v1/recipient/transfers/{first}").status_code == 410
    cooldown = timedelta(days=gh.packs.by_id("KR-PIPA").views.safe_number_cooldown_days)
    assert cooldown == timedelta(days=30)
    assert lease_row(gh, number) == (first, closed_at, closed_at + cooldown)
    assert holder(gh, number) is None

    # Another customer's transfer, a day short of the cool-down: the rested number is skipped
    # for the next candidate, and when it is the only one the pool says it has none.
    clock.advance(days=29)
    _, second = allowed_transfer(site.api, site.subject_id, site.seller)
    assert lease(gh, [number], second, clock()) is None
    assert lease(gh, [number, FRESH_NUMBER], second, clock()) == FRESH_NUMBER
    one_second_early = closed_at + cooldown - timedelta(seconds=1)
    assert lease(gh, [number], second, one_second_early) is None
    assert lease_row(gh, number) == (first, closed_at, closed_at + cooldown)

    # From the end of the cool-down on, it may go to another transfer.
    clock.advance(days=1)
    _, third = allowed_transfer(site.api, site.subject_id, site.seller)
    assert lease(gh, [number], third, closed_at + cooldown) == number
    assert holder(gh, number) == third
    assert lease_row(gh, number) == (third, None, None)


def test_a_number_still_leased_is_never_reused_however_old(site: Site) -> None:
    gh, clock = site.fresh.gatehouse, site.fresh.clock
    _, first = allowed_transfer(site.api, site.subject_id, site.seller)
    number = number_of(gh, first)
    clock.advance(days=365)
    _, second = allowed_transfer(site.api, site.subject_id, site.seller)
    assert lease(gh, [number], second, clock()) is None
    assert holder(gh, number) == first
    # A clash inside a transaction leaves it usable (the savepoint): the next lease works.
    assert lease(gh, [number, FRESH_NUMBER], second, clock()) == FRESH_NUMBER
    assert holder(gh, FRESH_NUMBER) == second


def test_many_leases_at_once_take_each_first_candidate_and_settle_clashes_one_by_one(
    site: Site,
) -> None:
    gh, clock = site.fresh.gatehouse, site.fresh.clock
    _, held = allowed_transfer(site.api, site.subject_id, site.seller)
    taken = number_of(gh, held)
    # Four more transfers to lease for (their own numbers are leased already, which is fine:
    # the pool keys leases by number).
    transfers = [allowed_transfer(site.api, site.subject_id, site.seller)[1] for _ in range(4)]
    a, b, c, d = transfers
    wanted = {
        a: ["0505-2000-0001", "0505-2000-0009"],
        b: ["0505-2000-0001", "0505-2000-0002"],  # clashes with a's first: gets its second
        c: [taken, "0505-2000-0003"],  # clashes with a number still leased
        d: [taken],  # every candidate taken: left out
    }
    with gh.engine.begin() as connection:
        leased = SafeNumberPool(connection).lease_many(wanted, clock())
    assert leased == {a: "0505-2000-0001", b: "0505-2000-0002", c: "0505-2000-0003"}
    assert [holder(gh, n) for n in ("0505-2000-0001", "0505-2000-0002", "0505-2000-0003")] == [
        a,
        b,
        c,
    ]
    assert holder(gh, taken) == held and holder(gh, "0505-2000-0009") is None
    with gh.engine.begin() as connection:
        assert SafeNumberPool(connection).lease_many({}, clock()) == {}
