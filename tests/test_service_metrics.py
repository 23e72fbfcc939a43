"""The operations readings behind /metrics: right counts, bounded windows, a cache, no hang."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from gatehouse.services import metrics
from gatehouse.services.ledger_checkpoints import make_checkpoint
from gatehouse.services.metrics import (
    DecisionCount,
    OperationsReadings,
    read_operations,
    start_of_day,
)
from gatehouse.services.outbox import enqueue, run_once
from gatehouse.services.rights_requests import submit_request
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.db import make_engine
from gatehouse.store.records import ErasureRequest
from tests.conftest import Fresh
from tests.support import gateway
from tests.support.server import operator_api


def add_erasure(gh: Gatehouse, recipient_id: str, due_in: timedelta) -> None:
    now = gh.clock()
    with gh.unit_of_work() as uow:
        uow.erasures.add_requests(
            [
                ErasureRequest(
                    id=f"era_{due_in.days}_{now.timestamp()}",
                    deletion_id=None,
                    consent_id=None,
                    cause="consent_withdrawn",
                    recipient_id=recipient_id,
                    transfer_ids=[],
                    order_refs=["ORD-1"],
                    requested_at=now,
                    due_at=now + due_in,
                )
            ]
        )


def test_midnight_utc_starts_the_day() -> None:
    at = datetime(2026, 11, 28, 23, 59, 59, 999999, tzinfo=UTC)
    assert start_of_day(at) == datetime(2026, 11, 28, tzinfo=UTC)


def test_an_empty_database_reads_as_zeros(fresh: Fresh) -> None:
    reading = read_operations(fresh.gatehouse)
    assert reading.read_at == fresh.clock.now
    assert reading.decisions_since == datetime(2026, 11, 28, tzinfo=UTC)
    assert reading.decisions == ()
    assert dict(reading.outbox_jobs) == {"pending": 0, "running": 0, "dead": 0}
    assert reading.outbox_oldest_due is None
    assert (reading.requests_pending, reading.requests_overdue) == (0, 0)
    assert (reading.erasures_pending, reading.erasures_overdue) == (0, 0)
    assert reading.checkpoint_sequence is None and reading.checkpoint_at is None


def test_decisions_are_counted_by_outcome_and_reason_from_midnight(fresh: Fresh) -> None:
    gh, clock = fresh.gatehouse, fresh.clock
    with operator_api(gh) as (server, api):
        terms = gateway.publish_terms(api)
        seller = gateway.new_seller(api, server.url, "CN", terms)
        consenting, silent = gateway.new_subject(api), gateway.new_subject(api)
        gateway.consent(api, consenting, seller)
        gateway.allowed_transfer(api, consenting, seller)
        clock.advance(days=1)
        gateway.allowed_transfer(api, consenting, seller)
        gateway.allowed_transfer(api, consenting, seller)
        for _ in range(3):
            order = gateway.new_order(api, silent, seller)
            refused = api.post(
                f"/v1/orders/{order}/transfers", json={"purpose": "fulfilment", "flow": "provision"}
            )
            assert refused.status_code == 403, refused.text
        seller.client.close()

    # Yesterday's decision is outside today's window.
    assert read_operations(gh).decisions == (
        DecisionCount("allowed", "SEPARATE_CONSENT", 2),
        DecisionCount("refused", "no_lawful_basis", 3),
    )
    clock.advance(days=1)
    assert read_operations(gh).decisions == ()


def test_the_outbox_backlog_counts_open_jobs_and_the_longest_wait(fresh: Fresh) -> None:
    gh, clock = fresh.gatehouse, fresh.clock
    with gh.unit_of_work() as uow:
        enqueue(uow.outbox, kind="metrics.doomed", payload={}, at=clock.now, max_attempts=1)
    run_once(gh, "metrics-test")  # nobody handles the kind: its only attempt fails, it dies
    due = clock.now
    with gh.unit_of_work() as uow:
        enqueue(uow.outbox, kind="metrics.due", payload={}, at=due)
        enqueue(
            uow.outbox, kind="metrics.later", payload={}, at=due, run_at=due + timedelta(hours=5)
        )
    clock.advance(minutes=10)

    reading = read_operations(gh)

    assert dict(reading.outbox_jobs) == {"pending": 2, "running": 0, "dead": 1}
    # The job scheduled for later is not waiting yet; the due one has waited ten minutes.
    assert reading.outbox_oldest_due == due


def test_overdue_rights_requests_and_erasures_are_counted_at_the_reading(fresh: Fresh) -> None:
    gh, clock = fresh.gatehouse, fresh.clock
    with operator_api(gh) as (server, api):
        seller = gateway.new_seller(api, server.url, "CN", gateway.publish_terms(api))
        subject = gateway.new_subject(api)
        seller.client.close()
    submit_request(gh, subject, request_type="access", message="열람 요청")
    add_erasure(gh, seller.id, timedelta(days=7))
    add_erasure(gh, seller.id, timedelta(days=30))

    reading = read_operations(gh)
    assert (reading.requests_pending, reading.requests_overdue) == (1, 0)
    assert (reading.erasures_pending, reading.erasures_overdue) == (2, 0)

    clock.advance(days=11)  # past the 10-day answer and the 7-day erasure
    submit_request(gh, subject, request_type="correction", message="주소 정정")
    reading = read_operations(gh)
    assert (reading.requests_pending, reading.requests_overdue) == (2, 1)
    assert (reading.erasures_pending, reading.erasures_overdue) == (1, 1)


def test_the_latest_checkpoint_is_reported(fresh: Fresh) -> None:
    gh, clock = fresh.gatehouse, fresh.clock
    first = make_checkpoint(gh)
    clock.advance(hours=2)
    second = make_checkpoint(gh)
    reading = read_operations(gh)
    assert reading.checkpoint_sequence == second.sequence > first.sequence
    assert reading.checkpoint_at == clock.now


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_reading_serves_every_scrape_until_it_expires(fresh: Fresh) -> None:
    ticks = Ticks()
    readings = OperationsReadings(fresh.gatehouse, ttl_s=5, monotonic=ticks)
    first = readings.current()
    assert first is not None and readings.reads == 1
    ticks.now = 4.9
    assert readings.current() is first and readings.reads == 1
    ticks.now = 5.0
    assert readings.current() is not first and readings.reads == 2


def test_concurrent_scrapes_share_one_read(fresh: Fresh) -> None:
    readings = OperationsReadings(fresh.gatehouse, ttl_s=60)
    threads = [threading.Thread(target=readings.current) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert readings.reads == 1


def test_a_database_that_does_not_answer_reads_as_none_and_logs_no_values(
    fresh: Fresh, caplog: pytest.LogCaptureFixture
) -> None:
    dead = make_engine("postgresql+psycopg://postgres:s3cret@127.0.0.1:1/none?connect_timeout=2")
    gh = Gatehouse(engine=dead, keyring=fresh.gatehouse.keyring, packs=fresh.gatehouse.packs)
    ticks = Ticks()
    readings = OperationsReadings(gh, ttl_s=5, monotonic=ticks)
    try:
        with caplog.at_level(logging.WARNING, logger=metrics.__name__):
            assert readings.current() is None
            assert readings.current() is None
    finally:
        dead.dispose()
    # The failure is remembered for the reading's lifetime: one attempt, not one per scrape.
    assert readings.reads == 1
    (record,) = caplog.records
    assert record.getMessage() == "metrics: the database read failed (OperationalError)"


def test_a_locked_table_times_the_read_out_instead_of_hanging(fresh: Fresh) -> None:
    if fresh.backend.name != "postgres":
        pytest.skip("SQLite readers do not wait for writers in WAL mode")
    gh = fresh.gatehouse
    holder = gh.engine.connect()
    try:
        holder.begin()
        holder.execute(text("LOCK TABLE outbox_jobs IN ACCESS EXCLUSIVE MODE"))
        started = time.monotonic()
        assert OperationsReadings(gh).current() is None
        waited = time.monotonic() - started
    finally:
        holder.rollback()
        holder.close()
    assert metrics.READ_TIMEOUT_MS / 1000 <= waited < metrics.READ_TIMEOUT_MS / 1000 + 3
    assert OperationsReadings(gh).current() is not None
