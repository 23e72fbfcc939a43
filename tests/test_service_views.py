"""What recipients read, and scraping flags, on the in-memory unit of work (no database)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gatehouse.domain.errors import NotFound
from gatehouse.domain.views import ViewClosed
from gatehouse.services import views
from tests.support.fake_world import World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


def open_view(w: World, note: str | None = "문 앞에 놓아 주세요") -> tuple[str, str, str]:
    """A subject, a seller and an open view of one order: their ids."""
    subject_id = w.subject()
    seller = w.recipient()
    transfer_id = w.transfer(w.order(subject_id, seller, note), consent_notice=None)
    return subject_id, seller.id, transfer_id


def test_a_read_gives_the_minimised_fields_and_is_ledgered(w: World) -> None:
    subject_id, seller_id, transfer_id = open_view(w)

    seen = views.read_view(w.gh, seller_id, transfer_id)

    assert seen.transfer_id == transfer_id and seen.order_ref.startswith("ORD-")
    assert seen.items == [{"sku": "CASE-01", "name": "휴대폰 케이스", "quantity": 2}]
    assert seen.expires_at == w.db.tables.views[transfer_id].expires_at
    # The name is masked: the recipient never gets the customer's full name.
    assert seen.recipient_fields["name"] != "홍길동"
    (entry,) = w.db.entries("view.read")
    assert entry.subject_id == subject_id and entry.recipient_id == seller_id
    assert entry.payload == {"transfer_id": transfer_id, "fields": sorted(seen.recipient_fields)}


def test_another_recipients_view_is_missing_but_the_attempt_is_kept(w: World) -> None:
    _, _, transfer_id = open_view(w)
    stranger = w.recipient()

    with pytest.raises(NotFound) as missing:
        views.read_view(w.gh, stranger.id, transfer_id)
    with pytest.raises(NotFound):
        views.read_view(w.gh, stranger.id, "trf_" + "x" * 100)

    assert missing.value.code == "transfer_not_found"
    denied = w.db.entries("view.denied")
    assert [e.payload["transfer_id"] for e in denied] == [transfer_id, ("trf_" + "x" * 100)[:64]]
    assert all(e.recipient_id == stranger.id and e.subject_id is None for e in denied)
    assert w.db.entries("view.read") == []


def test_the_first_reader_after_the_window_closes_the_view(w: World) -> None:
    subject_id, seller_id, transfer_id = open_view(w)
    w.clock.now = w.db.tables.views[transfer_id].expires_at

    with pytest.raises(ViewClosed) as closed:
        views.read_view(w.gh, seller_id, transfer_id)

    assert closed.value.details == {"transfer_id": transfer_id, "reason": "max_window_ended"}
    # The closing committed although the read failed: access ended on the record.
    assert w.db.tables.closed_views == {transfer_id: (w.clock(), "max_window_ended")}
    (entry,) = w.db.entries("view.closed")
    assert entry.subject_id == subject_id and entry.payload["reason"] == "max_window_ended"
    with pytest.raises(ViewClosed):
        views.read_view(w.gh, seller_id, transfer_id)
    assert len(w.db.entries("view.closed")) == 1


def test_an_erased_subjects_view_closes_instead_of_failing(w: World) -> None:
    subject_id, seller_id, transfer_id = open_view(w)
    w.erase(subject_id)

    with pytest.raises(ViewClosed) as closed:
        views.read_view(w.gh, seller_id, transfer_id)

    assert closed.value.details["reason"] == "subject_deleted"  # type: ignore[index]


def test_listing_shows_ids_and_windows_a_page_at_a_time(w: World) -> None:
    subject_id = w.subject()
    seller = w.recipient()
    opened = sorted(w.transfer(w.order(subject_id, seller), consent_notice=None) for _ in range(3))
    w.transfer(w.order(subject_id, w.recipient()), consent_notice=None)  # another recipient's
    expired = opened[0]
    tables = w.db.tables
    tables.views[expired] = replace(tables.views[expired], expires_at=w.clock())
    commits = w.db.commits

    first, cursor = views.list_views(w.gh, seller.id, only_open=False, after=None, limit=2)
    rest, end = views.list_views(w.gh, seller.id, only_open=False, after=cursor, limit=2)
    still_open, _ = views.list_views(w.gh, seller.id, only_open=True, after=None, limit=10)

    assert [v.transfer_id for v in [*first, *rest]] == opened and end is None
    assert [v.transfer_id for v in still_open] == opened[1:]
    assert all(v.external_ref.startswith("ORD-") and v.closed_at is None for v in first)
    assert w.db.commits == commits and w.db.units[-1].read_only
