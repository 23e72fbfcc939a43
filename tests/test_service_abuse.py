"""Request rates and scraping flags, on the in-memory unit of work (no database)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gatehouse.services import abuse, views
from gatehouse.services.runtime import Limits
from tests.support.fake_world import World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


def test_a_key_spends_its_burst_then_waits_for_tokens(w: World) -> None:
    w.gh.limits = Limits(requests_per_second=2.0, burst=3)
    limiter = abuse.RateLimiter()
    for _ in range(3):
        limiter.check(w.gh, "key_a")
    with pytest.raises(abuse.RateLimited) as limited:
        limiter.check(w.gh, "key_a")
    assert limited.value.retry_after == 1
    limiter.check(w.gh, "key_b")  # each key has its own bucket
    w.advance(seconds=0.5)
    limiter.check(w.gh, "key_a")


def test_reading_many_views_quickly_is_flagged_once_per_window(w: World) -> None:
    w.gh.limits = Limits(scrape_threshold=3, scrape_window=timedelta(minutes=10))
    subject_id = w.subject()
    seller = w.recipient()
    read = [w.transfer(w.order(subject_id, seller), consent_notice=None) for _ in range(5)]

    # Rereading one view is not scraping: only distinct views count.
    for transfer_id in [*read[:2], read[0], read[1]]:
        views.read_view(w.gh, seller.id, transfer_id)
    assert abuse.flags(w.gh) == []
    for transfer_id in read[2:4]:
        views.read_view(w.gh, seller.id, transfer_id)

    (flag,) = abuse.flags(w.gh, seller.id)
    assert flag.kind == "scraping" and flag.at == w.clock()
    assert flag.detail == {"distinct_views": 3, "window_seconds": 600}
    (entry,) = w.db.entries("recipient.scraping_suspected")
    assert entry.recipient_id == seller.id and entry.payload == dict(flag.detail)
    assert abuse.flags(w.gh, "rcp_someone_else") == []

    # A new window starts counting afresh, and flags again.
    w.advance(minutes=11)
    for transfer_id in read[2:]:
        views.read_view(w.gh, seller.id, transfer_id)
    assert [f.detail["distinct_views"] for f in abuse.flags(w.gh)] == [3, 3]
