"""The overseas-transfer register's use case on the in-memory unit of work: the pack's wording
for each entry, the period, the cursor chain, the download, and bad parameters."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest

from gatehouse.domain.errors import InvalidInput
from gatehouse.domain.recipients import RecipientKind, RecipientStatus
from gatehouse.services.overseas_register import (
    RegisterQuery,
    register_counts,
    register_entries,
    register_page,
)
from gatehouse.store.records import StoredTransfer
from tests.support.fake_world import World, new_world

_seq = itertools.count(1)


def transfer(w: World, recipient_id: str, at: datetime, *, allowed: bool = True) -> None:
    n = next(_seq)
    w.db.add_transfer(
        StoredTransfer(
            id=f"trf_{n}",
            order_id=f"ord_{n}",
            subject_id="sub_x",
            recipient_id=recipient_id,
            country="CN",
            purpose="fulfilment",
            flow="provision",
            allowed=allowed,
            basis="consent" if allowed else None,
            refusal=None if allowed else "no_lawful_basis",
            notice_hash=None,
            fields=["name", "phone"],
            decided_at=at,
            legal_provision=None,
            legal_provision_text=None,
        )
    )


@pytest.fixture
def w() -> World:
    return new_world()


def test_entries_carry_the_packs_wording(w: World) -> None:
    seller = w.recipient(country="JP")
    page = register_page(w.gh, RegisterQuery(locale="en-US"))
    (entry,) = page.entries
    assert entry.recipient_id == seller.id and page.language == "en"
    assert entry.country_name == "Japan"
    assert entry.kind_label and entry.purposes and entry.flows
    assert entry.items[-1].startswith("Order details")
    assert "look" in entry.method and entry.timing and entry.refusal
    assert entry.received is False and entry.transfers == 0
    korean = register_page(w.gh, RegisterQuery()).entries[0]
    assert korean.country_name == "일본"


def test_received_counts_only_allowed_transfers_in_the_period(w: World) -> None:
    active = w.recipient()
    refused = w.recipient()
    old = w.recipient(status=RecipientStatus.SUSPENDED)
    gone = w.recipient(status=RecipientStatus.SUSPENDED)
    home = w.recipient(country="KR")
    transfer(w, active.id, datetime(2026, 5, 1, tzinfo=UTC))
    transfer(w, refused.id, datetime(2026, 5, 1, tzinfo=UTC), allowed=False)
    transfer(w, old.id, datetime(2026, 2, 1, tzinfo=UTC))
    page = register_page(w.gh, RegisterQuery())
    got = {e.recipient_id: (e.received, e.transfers) for e in page.entries}
    assert got == {active.id: (True, 1), refused.id: (False, 0), old.id: (True, 1)}
    assert gone.id not in got and home.id not in got
    march = register_page(w.gh, RegisterQuery(since=date(2026, 3, 1), until=date(2026, 3, 31)))
    assert {e.recipient_id for e in march.entries} == {active.id, refused.id}
    assert not any(e.received for e in march.entries)
    counts = register_counts(w.gh, RegisterQuery())[3]
    assert [(c.country, c.recipients, c.received) for c in counts] == [("CN", 3, 2)]


def test_the_cursor_chain_and_the_download_list_each_recipient_once(w: World) -> None:
    made = {w.recipient(kind=RecipientKind.LOGISTICS).id for _ in range(11)}
    seen: list[str] = []
    cursor = None
    while True:
        page = register_page(w.gh, RegisterQuery(limit=4, cursor=cursor))
        seen.extend(e.recipient_id for e in page.entries)
        if (cursor := page.next_cursor) is None:
            break
    assert sorted(seen) == sorted(made)
    assert [e.recipient_id for e in register_entries(w.gh, RegisterQuery())] == seen


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (RegisterQuery(cursor="r.bad id"), "invalid_cursor"),
        (RegisterQuery(limit=0), "invalid_limit"),
        (RegisterQuery(limit=201), "invalid_limit"),
        (RegisterQuery(since=date(2026, 5, 2), until=date(2026, 5, 1)), "invalid_period"),
        (RegisterQuery(locale="fr"), "unsupported_locale"),
        (RegisterQuery(search="x" * 101), "invalid_search"),
        (RegisterQuery(country="XX"), "invalid_country"),
    ],
)
def test_bad_parameters_raise_invalid_input(w: World, query: RegisterQuery, code: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        register_page(w.gh, query)
    assert raised.value.code == code
