"""The registry's facts cached in process: another process's change is seen by the very next
transfer, on SQLite and PostgreSQL, and a transfer with a warm cache reads fewer rows."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event

from gatehouse.config import Settings
from gatehouse.services import erasures, recipients
from gatehouse.services.runtime import Gatehouse, open_gatehouse
from gatehouse.services.transfers import request_transfer
from gatehouse.store import generations
from gatehouse.store.erasures import ErasureRepository
from gatehouse.store.records import ErasureRequest
from gatehouse.store.tables import metadata
from tests.conftest import Fresh
from tests.test_transfer_concurrency import _setup

TIMEOUT = 120


def _process_b(url: str, key_b64: str, orders: list[str], go: Any, results: Any) -> None:
    """Decide one transfer to warm the cache, wait for the word, then decide the next."""
    settings = Settings.from_env({"GATEHOUSE_DATABASE_URL": url, "GATEHOUSE_MASTER_KEY": key_b64})
    gh = open_gatehouse(settings)
    try:
        for order_id in orders:
            go.wait(timeout=TIMEOUT)
            go.clear()
            outcome = request_transfer(gh, order_id, purpose="fulfilment", flow="provision")
            refusal = outcome.decision.refusal
            results.put((outcome.decision.allowed, None if refusal is None else refusal.value))
    finally:
        gh.close()


def test_a_suspension_in_one_process_refuses_the_next_transfer_in_another(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    plan = _setup(gh)
    # Orders 0 and 2 go to the seller the customers consented to, in China.
    first, second, third = plan[0][0], plan[0][2], plan[0][4]
    context = multiprocessing.get_context("spawn")
    go, results = context.Event(), context.Queue()
    b = context.Process(
        target=_process_b,
        args=(fresh.backend.url, fresh.master_key.to_b64(), [first, second, third], go, results),
    )
    b.start()
    try:
        go.set()
        assert results.get(timeout=TIMEOUT) == (True, None)  # B's cache now holds China open

        recipients.suspend_country(gh, "CN", "감독기관 중지명령")  # in this process, A
        go.set()
        assert results.get(timeout=TIMEOUT) == (False, "country_suspended")

        recipients.resume_country(gh, "CN", None)
        go.set()
        assert results.get(timeout=TIMEOUT) == (True, None)
    finally:
        b.join(timeout=TIMEOUT)
        if b.is_alive():
            b.kill()
            b.join()
    assert b.exitcode == 0


def _statements(gh: Gatehouse, order_id: str) -> list[str]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(" ".join(str(args[2]).split()))

    event.listen(gh.engine, "before_cursor_execute", record)
    try:
        request_transfer(gh, order_id, purpose="fulfilment", flow="provision")
    finally:
        event.remove(gh.engine, "before_cursor_execute", record)
    return seen


def test_a_warm_cache_spares_the_registry_reads_and_an_erasure_is_seen(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    plan = _setup(gh)
    cold = _statements(gh, plan[0][0])
    warm = _statements(gh, plan[0][2])
    reads = [s for s in warm if s.upper().startswith("SELECT")]
    assert len(warm) < len(cold)
    for table in ("terms_versions", "country_suspensions", "disclosure", "erasure_requests"):
        assert not any(table in s for s in reads), (table, reads)
    assert any("fact_generations" in s for s in reads)
    # The rest of what the decision reads (the order, its subject and the subject's consent
    # history) is one statement: two reads in all.
    assert len(reads) == 2, reads
    (per_order,) = [s for s in reads if "fact_generations" not in s]
    assert "FROM orders JOIN subjects" in per_order and "LEFT OUTER JOIN consents" in per_order

    # An erasure overdue at the seller makes it ineligible at once: its write bumps the
    # erasures' generation, so the next transfer does not decide on the cached deadlines.
    with gh.unit_of_work(read_only=True) as uow:
        order = uow.orders.get(plan[0][4])
        assert order is not None
    now = fresh.clock()
    with gh.engine.begin() as connection:
        ErasureRepository(connection).add_requests(
            [
                ErasureRequest(
                    id="era_overdue",
                    deletion_id=None,
                    recipient_id=order.recipient_id,
                    transfer_ids=[],
                    order_refs=["ORD-1"],
                    requested_at=now - timedelta(days=11),
                    due_at=now - timedelta(days=1),
                    cause="consent_withdrawn",
                    consent_id=None,
                )
            ]
        )
    refused = request_transfer(gh, plan[0][4], purpose="fulfilment", flow="provision")
    assert refused.decision.refusal is not None
    assert refused.decision.refusal.value == "recipient_not_eligible"
    erasures.acknowledge(gh, order.recipient_id, "era_overdue", "지웠습니다.")
    allowed = request_transfer(gh, plan[0][6], purpose="fulfilment", flow="provision")
    assert allowed.decision.allowed


def test_each_write_of_a_cached_fact_moves_its_generation_in_its_own_transaction(
    fresh: Fresh,
) -> None:
    gh = fresh.gatehouse
    with gh.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
        before = generations.read(connection)
    assert [d for d in differences if "fact_generations" in repr(d)] == []

    recipients.suspend_country(gh, "CN", None)
    with gh.engine.connect() as connection:
        after = generations.read(connection)
    assert (after.registry, after.erasures) == (before.registry + 1, before.erasures)
    try:
        with gh.engine.begin() as connection:
            generations.bump(connection, generations.REGISTRY)
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    with gh.engine.connect() as connection:
        assert generations.read(connection) == after  # a rolled-back write moves nothing
