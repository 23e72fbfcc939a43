"""A group's decisions written at once, on the in-memory unit of work: the decisions, then the
safe numbers leased for them, then the views that carry those numbers; an exhausted pool
writes nothing at all."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from gatehouse.domain.errors import Conflict
from gatehouse.services.transfer_writes import PendingWrites
from gatehouse.store.records import OpenView, StoredTransfer
from tests.support.fake_world import World, new_world

AT = datetime(2026, 11, 30, 12, tzinfo=UTC)


def decision(n: int, *, allowed: bool = True) -> tuple[StoredTransfer, OpenView]:
    transfer = StoredTransfer(
        id=f"trf_{n}",
        order_id=f"ord_{n}",
        subject_id="sub_1",
        recipient_id="rec_1",
        country="CN",
        purpose="fulfilment",
        flow="provision",
        allowed=allowed,
        basis="SEPARATE_CONSENT" if allowed else None,
        refusal=None if allowed else "no_lawful_basis",
        notice_hash=None,
        fields=["name"] if allowed else [],
        decided_at=AT,
        legal_provision=None,
        legal_provision_text=None,
    )
    view = OpenView(
        transfer_id=transfer.id,
        order_id=transfer.order_id,
        subject_id="sub_1",
        recipient_id="rec_1",
        purpose="fulfilment",
        consent_notice=None,
        safe_number=None,
        opened_at=AT,
        expires_at=AT + timedelta(days=n),
    )
    return transfer, view


@pytest.fixture
def w() -> World:
    return new_world()


def test_views_carry_the_numbers_leased_for_them(w: World) -> None:
    pending = PendingWrites()
    first, first_view = decision(1)
    second, second_view = decision(2)
    refused, _ = decision(3, allowed=False)
    pending.add(first, first_view, ["0505-1000-0001", "0505-1000-0002"])
    pending.add(second, second_view, None)  # a purpose that releases no phone
    pending.add(refused, None, None)
    with w.gh.unit_of_work() as uow:
        pending.write(uow, AT)

    tables = w.db.tables
    assert set(tables.transfers) == {"trf_1", "trf_2", "trf_3"}
    assert tables.views == {
        "trf_1": replace(first_view, safe_number="0505-1000-0001"),
        "trf_2": second_view,
    }
    assert tables.leased_numbers == {"0505-1000-0001": "trf_1"}
    assert tables.view_windows[("sub_1", "rec_1")] == AT + timedelta(days=2)


def test_an_exhausted_pool_fails_the_whole_group(w: World) -> None:
    w.db.tables.leased_numbers["0505-1000-0001"] = "trf_earlier"
    before = w.db.committed()
    pending = PendingWrites()
    for n in (1, 2):
        transfer, view = decision(n)
        pending.add(transfer, view, ["0505-1000-0001"] if n == 2 else ["0505-1000-0009"])

    with pytest.raises(Conflict) as exhausted, w.gh.unit_of_work() as uow:
        pending.write(uow, AT)

    assert exhausted.value.code == "safe_numbers_exhausted"
    assert w.db.tables == before
