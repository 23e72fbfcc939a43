"""The transfer gateway's hot path against plain inserts of the same rows, in one run.

Setup (not timed) publishes terms, registers sellers abroad that accept them, creates Korean
customers, renders a consent notice for each (customer, seller) pair used and records a granted
consent, then creates the orders to transfer: four in five go to a seller the customer consented
to (allowed), one in five to a seller they did not (refused for want of a lawful basis).

Timed, medians over rounds:

- gateway: ``request_transfer`` per order, one after another; each is one transaction that
  gathers the facts, decides, records the decision, opens the view with a leased safe number
  and appends to the hash-chained ledger;
- baseline: the same decision and view rows written straight into the ``transfers`` and
  ``views`` tables, one transaction per transfer (the same commit count), with no decision,
  no safe number and no ledger; gateway/baseline is the price of lawfulness and the ledger;
- on PostgreSQL, ``--processes`` OS processes running the gateway loop at the same time on
  their own orders (the same number of orders as a sequential round, split between them), as
  total decisions/s beside the sequential rate. SQLite serialises writers, so it skips this.

    .venv/bin/python bench/transfers.py [--transfers 500] [--rounds 5] [--database-url URL]
                                        [--processes 4]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import queue
import random
import shutil
import statistics
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

from sqlalchemy import insert

from gatehouse.config import Settings
from gatehouse.demo.korea import KoreanCustomers
from gatehouse.demo.marketplace import DEMO_TERMS
from gatehouse.domain.ids import new_id
from gatehouse.domain.orders import OrderItem
from gatehouse.domain.recipients import PrivacyOfficer
from gatehouse.domain.views import released_fields
from gatehouse.services import consents as consent_service
from gatehouse.services import notices as notice_service
from gatehouse.services import orders as order_service
from gatehouse.services import recipients as recipient_service
from gatehouse.services import subjects as subject_service
from gatehouse.services import terms as terms_service
from gatehouse.services.runtime import Gatehouse, open_gatehouse
from gatehouse.services.transfer_batch import BatchItem, request_transfers
from gatehouse.services.transfers import request_transfer
from gatehouse.store.scratch import scratch_database
from gatehouse.store.tables import transfers, views
from gatehouse.vault import MasterKey

PURPOSE = "fulfilment"
FLOW = "provision"
SELLERS = 50
SUBJECTS = 500
CONSENTS_PER_SUBJECT = 2
ALLOWED_SHARE = 0.8
SUBJECT_BATCH = 500
# Sellers in a few countries, as on the marketplaces the PIPC fined (none of them adequate).
COUNTRIES = [("CN", "cn"), ("CN", "cn"), ("CN", "cn"), ("HK", "hk"), ("JP", "jp"), ("US", "com")]
WORKER_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class Market:
    """What the setup made: sellers, customers and who consented to which seller."""

    sellers: list[str]
    subjects: list[str]
    consented: dict[str, tuple[str, ...]]  # subject id -> sellers it consented to
    notices: dict[str, str]  # seller id -> hash of the consent notice naming it


@dataclass(frozen=True)
class PlannedTransfer:
    """An order created for the benchmark and what the gateway should decide for it."""

    order_id: str
    subject_id: str
    recipient_id: str
    country: str
    allowed: bool
    notice_hash: str | None
    fields: tuple[str, ...]


def _settings(url: str, master_key: str) -> Settings:
    return Settings.from_env({"GATEHOUSE_DATABASE_URL": url, "GATEHOUSE_MASTER_KEY": master_key})


def _seller(index: int) -> recipient_service.RecipientInput:
    country, tld = COUNTRIES[index % len(COUNTRIES)]
    slug = f"sel{index:03d}"
    return recipient_service.RecipientInput(
        kind="seller",
        legal_name=f"Bench Trading Co., Ltd. ({slug})",
        country=country,
        contact_email=f"ops@{slug}.example.{tld}",
        privacy_officer=PrivacyOfficer(name="Li Wei", email=f"privacy@{slug}.example.{tld}"),
        purposes=[PURPOSE],
        retention_days=90,
    )


def build_market(gh: Gatehouse, *, sellers: int, subjects: int, seed: int) -> Market:
    """Terms, eligible sellers, Korean customers and their consents (one notice per seller)."""
    rnd = random.Random(seed)
    terms = terms_service.publish_terms(gh, "2026-01", DEMO_TERMS)
    registered = recipient_service.register_recipients(gh, [_seller(i) for i in range(sellers)])
    seller_ids = [item.standing.recipient.id for item in registered]
    for seller_id in seller_ids:
        standing = recipient_service.accept_terms(gh, seller_id, terms.version)
        if not standing.eligible:
            raise RuntimeError(f"seller {seller_id} is not eligible: {standing.missing}")
    customers = KoreanCustomers(seed)
    subject_ids: list[str] = []
    for start in range(0, subjects, SUBJECT_BATCH):
        batch = [
            subject_service.NewSubject(pii=customers.one(i), residence_country="KR", locale="ko-KR")
            for i in range(start, min(subjects, start + SUBJECT_BATCH))
        ]
        subject_ids.extend(s.id for s in subject_service.create_subjects(gh, batch))
    consented: dict[str, tuple[str, ...]] = {}
    notices: dict[str, str] = {}
    for subject_id in subject_ids:
        chosen = tuple(rnd.sample(seller_ids, CONSENTS_PER_SUBJECT))
        for seller_id in chosen:
            # Every customer is shown the notice at checkout; identical notices are stored once.
            notice = notice_service.render_for_subject(
                gh,
                subject_id=subject_id,
                recipient_ids=[seller_id],
                countries=[],
                purpose=PURPOSE,
                flow=FLOW,
                locale=None,
            )
            consent_service.record_consent(gh, subject_id, notice.hash, granted=True, channel="web")
            notices[seller_id] = notice.hash
        consented[subject_id] = chosen
    return Market(seller_ids, subject_ids, consented, notices)


def make_orders(
    gh: Gatehouse, market: Market, count: int, rnd: random.Random
) -> list[PlannedTransfer]:
    """Create ``count`` orders, ``ALLOWED_SHARE`` of them to a consented seller, in random order."""
    purpose = gh.packs.by_id("KR-PIPA").purposes[PURPOSE]
    countries = {s: COUNTRIES[i % len(COUNTRIES)][0] for i, s in enumerate(market.sellers)}
    allowed_count = round(count * ALLOWED_SHARE)
    planned = []
    for index in range(count):
        subject_id = rnd.choice(market.subjects)
        allowed = index < allowed_count
        consented = market.consented[subject_id]
        if allowed:
            seller_id = rnd.choice(consented)
        else:
            seller_id = rnd.choice([s for s in market.sellers if s not in consented])
        customs_required = rnd.random() < 0.6
        note = "문 앞에 놓아 주세요" if rnd.random() < 0.5 else None
        order_id = order_service.create_order(
            gh,
            order_service.NewOrder(
                subject_id=subject_id,
                recipient_id=seller_id,
                external_ref=new_id("bench"),
                items=[OrderItem(sku=f"SKU-{index:06d}", name="무선 이어폰 케이스", quantity=1)],
                delivery_note=note,
                customs_required=customs_required,
            ),
        )
        fields = (
            released_fields(
                purpose, customs_required=customs_required, has_delivery_note=note is not None
            )
            if allowed
            else []
        )
        planned.append(
            PlannedTransfer(
                order_id=order_id,
                subject_id=subject_id,
                recipient_id=seller_id,
                country=countries[seller_id],
                allowed=allowed,
                notice_hash=market.notices[seller_id] if allowed else None,
                fields=tuple(fields),
            )
        )
    rnd.shuffle(planned)
    return planned


def _gateway(gh: Gatehouse, planned: list[PlannedTransfer]) -> float:
    start = time.perf_counter()
    outcomes = [
        request_transfer(gh, p.order_id, purpose=PURPOSE, flow=FLOW).decision.allowed
        for p in planned
    ]
    rate = len(planned) / (time.perf_counter() - start)
    # A benchmark of the wrong decisions would be worthless: check each one after timing.
    if outcomes != [p.allowed for p in planned]:
        raise RuntimeError("the gateway did not decide as planned")
    return rate


def _baseline(gh: Gatehouse, planned: list[PlannedTransfer]) -> float:
    start = time.perf_counter()
    for p in planned:
        now = gh.clock()
        transfer_id = new_id("trf")
        with gh.engine.begin() as connection:
            connection.execute(
                insert(transfers).values(
                    id=transfer_id,
                    order_id=p.order_id,
                    subject_id=p.subject_id,
                    recipient_id=p.recipient_id,
                    country=p.country,
                    purpose=PURPOSE,
                    flow=FLOW,
                    allowed=p.allowed,
                    basis="SEPARATE_CONSENT" if p.allowed else None,
                    refusal=None if p.allowed else "no_lawful_basis",
                    notice_hash=p.notice_hash,
                    fields=list(p.fields),
                    decided_at=now,
                )
            )
            if p.allowed:
                connection.execute(
                    insert(views).values(
                        transfer_id=transfer_id,
                        order_id=p.order_id,
                        subject_id=p.subject_id,
                        recipient_id=p.recipient_id,
                        purpose=PURPOSE,
                        consent_notice=p.notice_hash,
                        safe_number=None,
                        opened_at=now,
                        expires_at=now + timedelta(days=90),
                    )
                )
    return len(planned) / (time.perf_counter() - start)


def _grouped(gh: Gatehouse, planned: list[PlannedTransfer], threads: int) -> float:
    """The single-transfer call from ``threads`` threads at once: group commit gathers them."""
    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        outcomes = list(
            pool.map(
                lambda p: (
                    request_transfer(gh, p.order_id, purpose=PURPOSE, flow=FLOW).decision.allowed
                ),
                planned,
            )
        )
    rate = len(planned) / (time.perf_counter() - start)
    if outcomes != [p.allowed for p in planned]:
        raise RuntimeError("the group-committed gateway did not decide as planned")
    return rate


_RAW_TRANSFER = (
    "INSERT INTO transfers (id, order_id, subject_id, recipient_id, country, purpose, flow,"
    " allowed, basis, refusal, notice_hash, fields, decided_at)"
    " VALUES ({0}, {0}, {0}, {0}, {0}, {0}, {0}, {0}, {0}, {0}, {0}, {0}, {0})"
)
_RAW_VIEW = (
    "INSERT INTO views (transfer_id, order_id, subject_id, recipient_id, purpose,"
    " consent_notice, safe_number, opened_at, expires_at)"
    " VALUES ({0}, {0}, {0}, {0}, {0}, {0}, {0}, {0}, {0})"
)


def _raw_floor(gh: Gatehouse, planned: list[PlannedTransfer]) -> float:
    """The baseline's rows through the database driver alone, no SQLAlchemy: the floor."""
    sqlite = gh.engine.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    transfer_sql, view_sql = _RAW_TRANSFER.format(mark), _RAW_VIEW.format(mark)
    raw = gh.engine.raw_connection()
    try:
        cursor = raw.cursor()
        start = time.perf_counter()
        for p in planned:
            # SQLAlchemy stores naive UTC; SQLite keeps it as text in the same form.
            now = gh.clock().replace(tzinfo=None)
            opened: object = now.isoformat(sep=" ") if sqlite else now
            expires = now + timedelta(days=90)
            until: object = expires.isoformat(sep=" ") if sqlite else expires
            transfer_id = new_id("trf")
            cursor.execute(
                transfer_sql,
                (
                    transfer_id,
                    p.order_id,
                    p.subject_id,
                    p.recipient_id,
                    p.country,
                    PURPOSE,
                    FLOW,
                    p.allowed,
                    "SEPARATE_CONSENT" if p.allowed else None,
                    None if p.allowed else "no_lawful_basis",
                    p.notice_hash,
                    json.dumps(list(p.fields)),
                    opened,
                ),
            )
            if p.allowed:
                cursor.execute(
                    view_sql,
                    (
                        transfer_id,
                        p.order_id,
                        p.subject_id,
                        p.recipient_id,
                        PURPOSE,
                        p.notice_hash,
                        None,
                        opened,
                        until,
                    ),
                )
            raw.commit()
        return len(planned) / (time.perf_counter() - start)
    finally:
        raw.close()


def _batched(gh: Gatehouse, planned: list[PlannedTransfer], size: int) -> float:
    start = time.perf_counter()
    outcomes: list[bool] = []
    for first in range(0, len(planned), size):
        chunk = planned[first : first + size]
        results = request_transfers(gh, [BatchItem(p.order_id, PURPOSE, FLOW) for p in chunk])
        outcomes.extend(r.outcome is not None and r.outcome.decision.allowed for r in results)
    rate = len(planned) / (time.perf_counter() - start)
    if outcomes != [p.allowed for p in planned]:
        raise RuntimeError("the batched gateway did not decide as planned")
    return rate


def _baseline_batched(gh: Gatehouse, planned: list[PlannedTransfer], size: int) -> float:
    """The same rows as :func:`_baseline`, ``size`` to a transaction, one statement a table."""
    start = time.perf_counter()
    for first in range(0, len(planned), size):
        now = gh.clock()
        rows, view_rows = [], []
        for p in planned[first : first + size]:
            transfer_id = new_id("trf")
            rows.append(
                {
                    "id": transfer_id,
                    "order_id": p.order_id,
                    "subject_id": p.subject_id,
                    "recipient_id": p.recipient_id,
                    "country": p.country,
                    "purpose": PURPOSE,
                    "flow": FLOW,
                    "allowed": p.allowed,
                    "basis": "SEPARATE_CONSENT" if p.allowed else None,
                    "refusal": None if p.allowed else "no_lawful_basis",
                    "notice_hash": p.notice_hash,
                    "fields": list(p.fields),
                    "decided_at": now,
                }
            )
            if p.allowed:
                view_rows.append(
                    {
                        "transfer_id": transfer_id,
                        "order_id": p.order_id,
                        "subject_id": p.subject_id,
                        "recipient_id": p.recipient_id,
                        "purpose": PURPOSE,
                        "consent_notice": p.notice_hash,
                        "safe_number": None,
                        "opened_at": now,
                        "expires_at": now + timedelta(days=90),
                    }
                )
        with gh.engine.begin() as connection:
            connection.execute(insert(transfers), rows)
            if view_rows:
                connection.execute(insert(views), view_rows)
    return len(planned) / (time.perf_counter() - start)


# What a worker reports per round: (error or "", start, end, decisions, allowed decisions).
WorkerResult = tuple[str, float, float, int, int]


def _worker(
    url: str,
    master_key: str,
    work: Queue[list[str] | None],
    results: Queue[WorkerResult],
    barrier: Barrier,
    warmup: list[str],
) -> None:
    """One gateway process: warm up, then per round wait for the others and run its orders."""
    try:
        gh = open_gatehouse(_settings(url, master_key), run_migrations=False)
        for order_id in warmup:
            request_transfer(gh, order_id, purpose=PURPOSE, flow=FLOW)
        while (order_ids := work.get()) is not None:
            barrier.wait(WORKER_TIMEOUT_S)
            # time.monotonic is one system-wide clock, so the processes' stamps compare.
            start = time.monotonic()
            allowed = sum(
                request_transfer(gh, order_id, purpose=PURPOSE, flow=FLOW).decision.allowed
                for order_id in order_ids
            )
            results.put(("", start, time.monotonic(), len(order_ids), allowed))
        gh.close()
    except Exception:
        results.put((traceback.format_exc(), 0.0, 0.0, 0, 0))
        barrier.abort()


def _parallel_rates(
    url: str, master_key: str, rounds: list[list[list[PlannedTransfer]]], warmup: list[list[str]]
) -> list[float]:
    """Total decisions/s of ``len(rounds[0])`` processes running at once, per round."""
    processes = len(warmup)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes)
    results: Queue[WorkerResult] = context.Queue()
    queues: list[Queue[list[str] | None]] = [context.Queue() for _ in range(processes)]
    workers = [
        context.Process(
            target=_worker, args=(url, master_key, queues[i], results, barrier, warmup[i])
        )
        for i in range(processes)
    ]
    for process in workers:
        process.start()
    rates = []
    try:
        for batches in rounds:
            for work, batch in zip(queues, batches, strict=True):
                work.put([p.order_id for p in batch])
            stamps = [results.get(timeout=WORKER_TIMEOUT_S) for _ in range(processes)]
            for error, *_ in stamps:
                if error:
                    raise RuntimeError(f"a gateway process failed:\n{error}")
            if sum(s[4] for s in stamps) != sum(p.allowed for batch in batches for p in batch):
                raise RuntimeError("the gateway processes did not decide as planned")
            # From the first process's start to the last one's end: the wall time of the round.
            elapsed = max(s[2] for s in stamps) - min(s[1] for s in stamps)
            rates.append(sum(s[3] for s in stamps) / elapsed)
        for work in queues:
            work.put(None)
    except (RuntimeError, queue.Empty):
        for process in workers:
            process.kill()
        raise
    finally:
        for process in workers:
            process.join(WORKER_TIMEOUT_S)
    return rates


def run(
    url: str, transfers_per_round: int, rounds: int, processes: int, batch: int, threads: int
) -> None:
    """Benchmark against the database at ``url`` and print the medians."""
    master_key = MasterKey.generate().to_b64()
    gh = open_gatehouse(_settings(url, master_key))
    postgres = not url.startswith("sqlite")
    parallel = postgres and processes > 1
    rnd = random.Random(2026)
    setup_start = time.perf_counter()
    market = build_market(gh, sellers=SELLERS, subjects=SUBJECTS, seed=11)
    warmup = make_orders(gh, market, 5, rnd)
    sequential_rounds = [make_orders(gh, market, transfers_per_round, rnd) for _ in range(rounds)]
    batched_rounds = [make_orders(gh, market, transfers_per_round, rnd) for _ in range(rounds)]
    grouped_rounds = [make_orders(gh, market, transfers_per_round, rnd) for _ in range(rounds)]
    parallel_rounds: list[list[list[PlannedTransfer]]] = []
    worker_warmup: list[list[str]] = []
    if parallel:
        share = max(1, transfers_per_round // processes)
        for _ in range(rounds):
            planned = make_orders(gh, market, share * processes, rnd)
            parallel_rounds.append([planned[i::processes] for i in range(processes)])
        worker_warmup = [
            [p.order_id for p in make_orders(gh, market, 2, rnd)] for _ in range(processes)
        ]
    setup = time.perf_counter() - setup_start

    _gateway(gh, warmup)
    _baseline(gh, warmup)
    gateway_rates, baseline_rates = [], []
    for round_number, planned in enumerate(sequential_rounds):
        # Alternate the order so neither side always runs on a warmer cache.
        if round_number % 2:
            baseline_rates.append(_baseline(gh, planned))
            gateway_rates.append(_gateway(gh, planned))
        else:
            gateway_rates.append(_gateway(gh, planned))
            baseline_rates.append(_baseline(gh, planned))
    grouped_rates, floor_rates = [], []
    for planned in grouped_rounds:
        grouped_rates.append(_grouped(gh, planned, threads))
        floor_rates.append(_raw_floor(gh, planned))
    batched_rates, batched_baseline_rates = [], []
    for round_number, planned in enumerate(batched_rounds):
        if round_number % 2:
            batched_baseline_rates.append(_baseline_batched(gh, planned, batch))
            batched_rates.append(_batched(gh, planned, batch))
        else:
            batched_rates.append(_batched(gh, planned, batch))
            batched_baseline_rates.append(_baseline_batched(gh, planned, batch))
    gh.close()
    parallel_rates = (
        _parallel_rates(url, master_key, parallel_rounds, worker_warmup) if parallel else []
    )

    gateway, baseline = statistics.median(gateway_rates), statistics.median(baseline_rates)
    backend = url.split(":", 1)[0]
    allowed = sum(p.allowed for p in sequential_rounds[0])
    print(
        f"backend: {backend}; {transfers_per_round} transfers per round ({allowed} allowed, "
        f"{transfers_per_round - allowed} refused), {rounds} rounds; setup {setup:.1f} s "
        f"({SELLERS} sellers, {SUBJECTS} subjects, {SUBJECTS * CONSENTS_PER_SUBJECT} consents)"
    )
    print(f"gateway, 1 process (decide + record + view + safe number + ledger): {gateway:,.0f}/s")
    print(f"baseline, 1 process (transfer + view rows, no decision or ledger):   {baseline:,.0f}/s")
    print(
        f"ratio gateway/baseline: {gateway / baseline:.2f} "
        f"({1000 / gateway:.2f} ms vs {1000 / baseline:.2f} ms per transfer)"
    )
    grouped, floor = statistics.median(grouped_rates), statistics.median(floor_rates)
    print(f"gateway, {threads} threads at once (group commit): {grouped:,.0f}/s")
    print(f"floor, the baseline's rows through the raw driver, no SQLAlchemy: {floor:,.0f}/s")
    print(f"ratio group-committed gateway/raw floor: {grouped / floor:.2f}")
    batched = statistics.median(batched_rates)
    batched_baseline = statistics.median(batched_baseline_rates)
    print(f"gateway, batches of {batch} (POST /v1/transfers/batch's path): {batched:,.0f}/s")
    print(f"baseline, the same rows {batch} to a transaction: {batched_baseline:,.0f}/s")
    print(f"ratio batched gateway/batched baseline: {batched / batched_baseline:.2f}")
    if parallel:
        total = statistics.median(parallel_rates)
        print(f"gateway, {processes} processes at once: {total:,.0f} decisions/s in total")
        print(f"ratio {processes} processes / 1 process: {total / gateway:.2f}")
    elif postgres:
        print("parallel gateway: skipped (--processes below 2)")
    else:
        print("parallel gateway: skipped on SQLite, which serialises writers")
    print(
        "rounds (gateway / baseline / parallel): "
        + "; ".join(f"{r:,.0f}" for r in gateway_rates)
        + " / "
        + "; ".join(f"{r:,.0f}" for r in baseline_rates)
        + " / "
        + ("; ".join(f"{r:,.0f}" for r in parallel_rates) or "-")
    )


def main() -> None:
    """Parse the arguments and run in a scratch database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--batch", type=int, default=100, help="items per batch")
    parser.add_argument("--threads", type=int, default=8, help="threads for group commit")
    args = parser.parse_args()

    if args.database_url and not args.database_url.startswith("sqlite"):
        # Never write into the server's own database: benchmark in a scratch one.
        with scratch_database(args.database_url, prefix="gatehouse_bench") as url:
            run(url, args.transfers, args.rounds, args.processes, args.batch, args.threads)
        return
    if args.database_url:
        run(
            args.database_url,
            args.transfers,
            args.rounds,
            args.processes,
            args.batch,
            args.threads,
        )
        return
    workdir = Path(tempfile.mkdtemp(prefix="gatehouse-bench-"))
    try:
        run(
            f"sqlite:///{workdir / 'bench.db'}",
            args.transfers,
            args.rounds,
            args.processes,
            args.batch,
            args.threads,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
