"""The 180,000 recipients both register benchmarks read, and a median timer.

Rows go straight into the tables, in batches, because registering that many through the API
would time the registration, not the register. 5 % of recipients received data in the last
year, some received it only before it, some were refused, and 1 in 50 is suspended.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert

from gatehouse.services.runtime import Gatehouse
from gatehouse.store.tables import orders, recipients, subjects, transfers

__all__ = ["BATCH", "COUNTRIES", "RecipientRow", "median_ms", "seed_register"]

COUNTRIES = [
    "CN", "HK", "JP", "US", "DE", "FR", "GB", "IT", "ES", "NL", "SG", "VN",
    "TH", "MY", "ID", "PH", "AU", "CA", "TW", "IN", "AE", "TR", "MX",
]  # fmt: skip
BATCH = 5_000
# A recipient's row, from its number and when it was created.
RecipientRow = Callable[[int, datetime], dict[str, Any]]


def _decisions(n: int, now: datetime) -> list[tuple[datetime, bool]]:
    decided = []
    if n % 20 == 0:  # 5 %: received data in the period
        decided += [(now - timedelta(days=1 + k * 37 + n % 30), True) for k in range(1 + n % 3)]
    if n % 40 == 1:
        decided.append((now - timedelta(days=5), False))
    if n % 30 == 2:
        decided.append((now - timedelta(days=500), True))
    return decided


def _order_and_transfer(n: int, k: int, at: datetime, allowed: bool) -> tuple[dict[str, Any], ...]:
    oid = f"ord_{n:08d}_{k}"
    rid = f"rcp_{n:08d}"
    order = {
        "id": oid,
        "subject_id": "sub_bench",
        "recipient_id": rid,
        "external_ref": oid,
        "customs_required": False,
        "has_delivery_note": False,
        "status": "created",
        "created_at": at,
    }
    transfer = {
        "id": f"trf_{n:08d}_{k}",
        "order_id": oid,
        "subject_id": "sub_bench",
        "recipient_id": rid,
        "country": COUNTRIES[n % len(COUNTRIES)],
        "purpose": "fulfilment",
        "flow": "provision",
        "allowed": allowed,
        "basis": "consent" if allowed else None,
        "refusal": None if allowed else "no_lawful_basis",
        "fields": ["name", "phone"],
        "decided_at": at,
    }
    return order, transfer


def seed_register(gh: Gatehouse, count: int, row: RecipientRow) -> None:
    """``count`` recipients made by ``row``, with their orders and transfers."""
    now = gh.clock()
    created = now - timedelta(days=800)
    with gh.engine.begin() as c:
        c.execute(
            insert(subjects).values(
                id="sub_bench",
                residence_country="KR",
                locale="ko-KR",
                rule_pack="KR-PIPA",
                created_at=created,
            )
        )
    for start in range(0, count, BATCH):
        rows, order_rows, transfer_rows = [], [], []
        for n in range(start, min(start + BATCH, count)):
            rows.append(row(n, created))
            for k, (at, allowed) in enumerate(_decisions(n, now)):
                order, transfer = _order_and_transfer(n, k, at, allowed)
                order_rows.append(order)
                transfer_rows.append(transfer)
        with gh.engine.begin() as c:
            c.execute(insert(recipients), rows)
            if order_rows:
                c.execute(insert(orders), order_rows)
                c.execute(insert(transfers), transfer_rows)


def median_ms(call: Callable[[], object], rounds: int) -> float:
    """The median of ``rounds`` timed calls, after one untimed warm-up call, in ms."""
    call()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)
