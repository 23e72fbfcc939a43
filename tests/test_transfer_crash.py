"""A process deciding group-committed transfers on several threads, killed with SIGKILL: every
transfer it answered is on record with its ledger entry, and no transfer is half-written."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import select

from gatehouse.config import Settings
from gatehouse.services import ledger
from gatehouse.services.runtime import open_gatehouse
from gatehouse.services.transfers import request_transfer
from gatehouse.store.ledger_tables import ledger_entries
from gatehouse.store.tables import transfers, views
from tests.conftest import Fresh
from tests.test_transfer_concurrency import _setup

THREADS = 6


def _decide_until_killed(url: str, key_b64: str, order_ids: list[str], answered: str) -> None:
    """Decide forever on THREADS threads, writing each answered transfer id as it returns."""
    settings = Settings.from_env({"GATEHOUSE_DATABASE_URL": url, "GATEHOUSE_MASTER_KEY": key_b64})
    gh = open_gatehouse(settings)
    log = os.open(answered, os.O_WRONLY | os.O_APPEND | os.O_CREAT)

    def decide(order_id: str) -> None:
        outcome = request_transfer(gh, order_id, purpose="fulfilment", flow="provision")
        # One write per line with O_APPEND: a kill cannot leave half a line.
        os.write(log, f"{outcome.transfer_id}\n".encode())

    with ThreadPoolExecutor(THREADS) as pool:
        while True:  # the orders again and again: each call decides a new transfer
            list(pool.map(decide, order_ids))


def test_sigkill_loses_no_answered_transfer_and_half_writes_none(
    fresh: Fresh, tmp_path: Path
) -> None:
    gh = fresh.gatehouse
    plan = _setup(gh)
    orders = [order for batch in plan for order in batch]
    answered = tmp_path / "answered.txt"
    context = multiprocessing.get_context("spawn")
    child = context.Process(
        target=_decide_until_killed,
        args=(fresh.backend.url, fresh.master_key.to_b64(), orders, str(answered)),
    )
    child.start()
    try:
        deadline = time.monotonic() + 120
        while not answered.exists() or answered.read_text().count("\n") < 80:
            assert child.is_alive(), "the deciding process exited early"
            assert time.monotonic() < deadline, "no transfers were answered"
            time.sleep(0.01)
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.join(30)
    assert child.exitcode == -signal.SIGKILL

    ids = answered.read_text().split()
    with gh.engine.connect() as connection:
        rows = {row.id: row.allowed for row in connection.execute(select(transfers))}
        viewed = {row.transfer_id for row in connection.execute(select(views.c.transfer_id))}
        entries = Counter(
            row.payload["transfer_id"]
            for row in connection.execute(
                select(ledger_entries.c.payload).where(
                    ledger_entries.c.kind.in_(["transfer.allowed", "transfer.refused"])
                )
            )
        )
    assert len(ids) >= 80 and set(ids) <= set(rows)  # nothing answered was lost
    # Every transfer on record is whole: one ledger entry, and a view when allowed.
    assert entries == Counter(list(rows))
    assert viewed == {tid for tid, allowed in rows.items() if allowed}
    reopened = open_gatehouse(
        Settings.from_env(
            {
                "GATEHOUSE_DATABASE_URL": fresh.backend.url,
                "GATEHOUSE_MASTER_KEY": fresh.master_key.to_b64(),
            }
        )
    )
    try:
        assert ledger.verify(reopened).ok
    finally:
        reopened.close()
