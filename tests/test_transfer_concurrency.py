"""Four processes of three threads each deciding transfers at once, group-committed: one
ledger entry per decision, and it verifies."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import func, select

from gatehouse.config import Settings
from gatehouse.demo.korea import KoreanCustomers
from gatehouse.demo.marketplace import DEMO_TERMS
from gatehouse.domain.orders import OrderItem
from gatehouse.domain.recipients import PrivacyOfficer
from gatehouse.services import consents, ledger, notices, orders, recipients, subjects, terms
from gatehouse.services.runtime import Gatehouse, open_gatehouse
from gatehouse.services.transfers import request_transfer
from gatehouse.store.ledger_tables import ledger_entries
from gatehouse.store.tables import transfers, views
from tests.conftest import Fresh

PROCESSES = 4
# Threads per process: concurrent transfers in one process share a transaction.
THREADS = 3
ORDERS_PER_PROCESS = 15


def _setup(gh: Gatehouse) -> list[list[str]]:
    """Two sellers (one with consent, one without), three customers, orders for each process."""
    version = terms.publish_terms(gh, "c1", DEMO_TERMS).version
    registered = recipients.register_recipients(
        gh,
        [
            recipients.RecipientInput(
                kind="seller",
                legal_name=f"Concurrent Seller {n}",
                country="CN",
                contact_email=f"ops{n}@seller.example.cn",
                privacy_officer=PrivacyOfficer("Wang Fang", f"dpo{n}@seller.example.cn"),
                purposes=["fulfilment"],
                retention_days=60,
            )
            for n in range(2)
        ],
    )
    sellers = [r.standing.recipient.id for r in registered]
    for seller in sellers:
        recipients.accept_terms(gh, seller, version)
    people = KoreanCustomers(seed=5)
    buyers = [
        subjects.create_subject(
            gh, subjects.NewSubject(pii=people.one(i), residence_country="KR", locale="ko-KR")
        ).id
        for i in range(3)
    ]
    for buyer in buyers:
        notice = notices.render_for_subject(
            gh,
            subject_id=buyer,
            recipient_ids=[sellers[0]],
            countries=[],
            purpose="fulfilment",
            flow="provision",
            locale=None,
        )
        consents.record_consent(gh, buyer, notice.hash, granted=True, channel="web")
    plan: list[list[str]] = []
    for worker in range(PROCESSES):
        batch = []
        for i in range(ORDERS_PER_PROCESS):
            batch.append(
                orders.create_order(
                    gh,
                    orders.NewOrder(
                        subject_id=buyers[(worker + i) % len(buyers)],
                        recipient_id=sellers[i % 2],
                        external_ref=f"W{worker}-{i}",
                        items=[OrderItem("SKU-1", "머그컵", 1)],
                        delivery_note="경비실 010-1234-5678",
                        customs_required=False,
                    ),
                )
            )
        plan.append(batch)
    return plan


def _worker(url: str, key_b64: str, order_ids: list[str], barrier: Any) -> None:
    """Decide the orders on THREADS threads, so this process's transfers are group-committed."""
    settings = Settings.from_env({"GATEHOUSE_DATABASE_URL": url, "GATEHOUSE_MASTER_KEY": key_b64})
    gh = open_gatehouse(settings)
    try:
        barrier.wait(timeout=120)
        with ThreadPoolExecutor(THREADS) as pool:
            done = pool.map(
                lambda order_id: request_transfer(
                    gh, order_id, purpose="fulfilment", flow="provision"
                ),
                order_ids,
            )
            assert len(list(done)) == len(order_ids)
    finally:
        gh.close()


def test_four_processes_deciding_transfers(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    plan = _setup(gh)
    with gh.engine.connect() as connection:
        entries_before = connection.execute(
            select(func.count()).select_from(ledger_entries)
        ).scalar_one()
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES + 1)
    processes = [
        context.Process(
            target=_worker, args=(fresh.backend.url, fresh.master_key.to_b64(), batch, barrier)
        )
        for batch in plan
    ]
    for process in processes:
        process.start()
    try:
        barrier.wait(timeout=120)
        for process in processes:
            process.join(timeout=240)
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join()
    assert [p.exitcode for p in processes] == [0] * PROCESSES

    decisions = PROCESSES * ORDERS_PER_PROCESS
    with gh.engine.connect() as connection:
        rows = connection.execute(select(transfers.c.id, transfers.c.allowed)).all()
        view_count = connection.execute(select(func.count()).select_from(views)).scalar_one()
        entries = connection.execute(
            select(ledger_entries.c.kind, ledger_entries.c.payload).where(
                ledger_entries.c.kind.in_(["transfer.allowed", "transfer.refused"])
            )
        ).all()
        entries_after = connection.execute(
            select(func.count()).select_from(ledger_entries)
        ).scalar_one()
    assert len(rows) == decisions
    assert entries_after - entries_before == decisions  # exactly one entry per decision
    by_transfer = {entry.payload["transfer_id"]: entry.kind for entry in entries}
    assert len(by_transfer) == len(entries) == decisions
    for transfer_id, allowed in rows:
        assert by_transfer[transfer_id] == ("transfer.allowed" if allowed else "transfer.refused")
    allowed_count = sum(1 for _, allowed in rows if allowed)
    # Orders alternate between the consented seller and the other one, starting with it.
    assert allowed_count == PROCESSES * ((ORDERS_PER_PROCESS + 1) // 2)
    assert view_count == allowed_count
    result = ledger.verify(gh)
    assert result.ok, result
    checkpoint = ledger.make_checkpoint(gh)
    assert sum(head.size for head in checkpoint.shards) == result.entries
