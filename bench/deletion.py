"""Deleting a customer with 1,000 transfers to 200 recipients, and telling each of them.

Setup (not timed) publishes terms and registers 200 recipients abroad (190 sellers, 6 logistics
and 4 storage companies, in seven countries), each with a webhook URL on a local HTTP endpoint
that a child process of the benchmark serves (it answers 204 and counts what it received).
Every customer then sees each recipient's consent notice and consents, and orders 1,000 times,
five orders per recipient, each transferred by the gateway (every other one delivered, so the
deletion keeps records of supply as well as contracts).

Timed, medians over ``--rounds``, each round on fresh customers:

- deletion: ``delete_account`` (the synchronous part of ``DELETE /v1/me``), one transaction that
  shreds the key, closes the 1,000 views, seals the kept records, queues 200 erasure notices,
  ledgers it all and ends the sessions; baseline: the rows it changes, changed with plain SQL
  in one transaction for another customer of the same shape (see :func:`_baseline_sql`);
- delivery: from the deletion's commit until the worker's own pass
  (:func:`gatehouse.services.worker.run_once`, called in a loop in this process, as
  ``gatehouse worker`` does) has delivered all 200 signed notices; baselines: the same 200
  signed POSTs sent straight with httpx, once with a new client per POST (as the webhook
  handler sends each) and once over one client that keeps its connection.

    .venv/bin/python bench/deletion.py [--rounds 5] [--database-url URL] [--profile 25]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import json
import multiprocessing
import pstats
import re
import shutil
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import Column, MetaData, Table, delete, event, insert, select, update

import gatehouse
from gatehouse.config import Settings
from gatehouse.demo.korea import KoreanCustomers
from gatehouse.demo.marketplace import DEMO_TERMS
from gatehouse.domain.ids import new_id
from gatehouse.domain.orders import OrderEvent, OrderItem
from gatehouse.domain.recipients import PrivacyOfficer
from gatehouse.services import consents as consent_service
from gatehouse.services import notices as notice_service
from gatehouse.services import orders as order_service
from gatehouse.services import recipients as recipient_service
from gatehouse.services import subjects as subject_service
from gatehouse.services import terms as terms_service
from gatehouse.services import worker
from gatehouse.services.customer import delete_account
from gatehouse.services.deletion import ERASURE_EVENT, DeletionReceipt
from gatehouse.services.runtime import Gatehouse, open_gatehouse
from gatehouse.services.transfers import request_transfer
from gatehouse.services.webhook_address import ALLOW_ENV, EgressPolicy
from gatehouse.services.webhooks import encode_event, post_event, sign
from gatehouse.store.erasure_tables import deletions, erasure_requests, retention_records
from gatehouse.store.ledger_tables import ledger_entries
from gatehouse.store.outbox_tables import outbox_jobs
from gatehouse.store.scratch import scratch_database
from gatehouse.store.summary_tables import view_windows
from gatehouse.store.tables import (
    blind_indexes,
    orders,
    pii_fields,
    safe_numbers,
    subject_keys,
    subject_refs,
    subjects,
    transfers,
    views,
)
from gatehouse.vault import MasterKey, new_data_key

PURPOSE = "fulfilment"
TRANSFERS = 1000
# Kind, country, e-mail TLD and how many: mostly sellers, as on the marketplaces the PIPC
# fined, and a few carriers and warehouses, which receive data in their own flows.
RECIPIENTS: list[tuple[str, str, str, int]] = [
    ("seller", "CN", "cn", 110),
    ("seller", "HK", "hk", 20),
    ("seller", "JP", "jp", 20),
    ("seller", "US", "com", 20),
    ("seller", "VN", "vn", 10),
    ("seller", "DE", "de", 10),
    ("logistics", "SG", "sg", 3),
    ("logistics", "CN", "cn", 3),
    ("storage", "HK", "hk", 2),
    ("storage", "US", "com", 2),
]
FLOWS = {"seller": "provision", "logistics": "provision", "storage": "storage"}
WORKER_ID = "bench-worker"
DRAIN_TIMEOUT_S = 600.0
# The recipients' endpoints listen on this machine; webhooks go only to public addresses
# unless the operator allows others, as here.
_LOCAL_ENDPOINTS = "127.0.0.1/32"
_LOCAL = EgressPolicy.parse(_LOCAL_ENDPOINTS)


@dataclass(frozen=True)
class Recipient:
    """A registered recipient: its id, the flow it receives data in, its endpoint."""

    id: str
    flow: str
    url: str


# -- the recipients' endpoints ----------------------------------------------------------------


def _sink(ready: Connection) -> None:
    """Serve every recipient's webhook endpoint on one loopback port; count what arrives.

    ``GET /stats?from=N`` answers the number of POSTs received and how many distinct paths
    (recipients) the POSTs from the N-th on went to.
    """
    lock = threading.Lock()
    paths: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.1, so a client that keeps its connection (the keep-alive baseline) can.
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            self.rfile.read(int(self.headers.get("content-length", "0")))
            with lock:
                paths.append(self.path)
            self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()

        def do_GET(self) -> None:  # noqa: N802
            start = int(parse_qs(urlsplit(self.path).query).get("from", ["0"])[0])
            with lock:
                body = json.dumps({"posts": len(paths), "paths": len(set(paths[start:]))})
            data = body.encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    ready.send(server.server_address[1])
    server.serve_forever()


@contextmanager
def endpoints() -> Iterator[str]:
    """The recipients' endpoints, served from a process of its own; yields the base URL.

    Not a thread of this process: a server sharing the worker's interpreter lock would be
    timed as part of the delivery.
    """
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_sink, args=(send,), daemon=True)
    process.start()
    try:
        if not receive.poll(60):
            raise RuntimeError("the webhook endpoint did not start")
        yield f"http://127.0.0.1:{receive.recv()}"
    finally:
        process.terminate()
        process.join(timeout=10)


def _stats(base_url: str, start: int = 0) -> tuple[int, int]:
    """(POSTs received in all, distinct recipients among the POSTs from ``start`` on)."""
    answer = httpx.get(f"{base_url}/stats", params={"from": start}, timeout=30).json()
    return int(answer["posts"]), int(answer["paths"])


# -- setup ------------------------------------------------------------------------------------


def _recipient_inputs(base_url: str) -> list[recipient_service.RecipientInput]:
    inputs: list[recipient_service.RecipientInput] = []
    for kind, country, tld, count in RECIPIENTS:
        for _ in range(count):
            slug = f"{kind[:3]}{len(inputs):03d}"
            inputs.append(
                recipient_service.RecipientInput(
                    kind=kind,
                    legal_name=f"Bench Erasure Co., Ltd. ({slug})",
                    country=country,
                    contact_email=f"ops@{slug}.example.{tld}",
                    privacy_officer=PrivacyOfficer(
                        name="Li Wei", email=f"privacy@{slug}.example.{tld}"
                    ),
                    purposes=[PURPOSE],
                    retention_days=90,
                    # A loopback endpoint: delivered to only because main() allows private
                    # addresses, as a developer's machine would.
                    webhook_url=f"{base_url}/hooks/{slug}",
                )
            )
    return inputs


def register(gh: Gatehouse, base_url: str) -> list[Recipient]:
    """Terms, and the recipients abroad, eligible, with their endpoints."""
    terms = terms_service.publish_terms(gh, "2026-01", DEMO_TERMS)
    registered = recipient_service.register_recipients(gh, _recipient_inputs(base_url))
    recipients = []
    for item in registered:
        recipient = item.standing.recipient
        if not recipient_service.accept_terms(gh, recipient.id, terms.version).eligible:
            raise RuntimeError(f"recipient {recipient.id} is not eligible")
        assert recipient.webhook_url is not None
        recipients.append(
            Recipient(recipient.id, FLOWS[recipient.kind.value], recipient.webhook_url)
        )
    return recipients


def make_customer(
    gh: Gatehouse, recipients: list[Recipient], people: KoreanCustomers, number: int
) -> str:
    """A customer who consented to every recipient and has ``TRANSFERS`` allowed transfers."""
    subject = subject_service.create_subject(
        gh,
        subject_service.NewSubject(pii=people.one(number), residence_country="KR", locale="ko-KR"),
    )
    for recipient in recipients:
        notice = notice_service.render_for_subject(
            gh,
            subject_id=subject.id,
            recipient_ids=[recipient.id],
            countries=[],
            purpose=PURPOSE,
            flow=recipient.flow,
            locale=None,
        )
        consent_service.record_consent(gh, subject.id, notice.hash, granted=True, channel="web")
    for index in range(TRANSFERS):
        recipient = recipients[index % len(recipients)]
        order_id = order_service.create_order(
            gh,
            order_service.NewOrder(
                subject_id=subject.id,
                recipient_id=recipient.id,
                external_ref=f"KR-{number:03d}-{index:06d}",
                items=[OrderItem(sku=f"SKU-{index:06d}", name="무선 이어폰 케이스", quantity=1)],
                delivery_note="문 앞에 놓아 주세요" if index % 3 == 0 else None,
                customs_required=index % 5 < 3,
            ),
        )
        outcome = request_transfer(gh, order_id, purpose=PURPOSE, flow=recipient.flow)
        if not outcome.decision.allowed:
            raise RuntimeError(f"the gateway refused a planned transfer: {outcome.decision}")
        if index % 2:
            order_service.record_event(gh, order_id, OrderEvent.DELIVERED)
    return subject.id


# -- the baseline's plain SQL -----------------------------------------------------------------


@dataclass(frozen=True)
class DeletionShape:
    """What one deletion changed: the baseline changes as many rows."""

    views_closed: int
    erasures: int
    retained: dict[str, int]  # hold -> records kept
    ledger_entries: int


bench_metadata = MetaData()
# The ledger's columns and key, without its chain: plain rows beside the real shards, which a
# baseline row must not disturb.
bench_ledger = Table(
    "bench_deletion_ledger",
    bench_metadata,
    *(
        Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable, index=c.index)
        for c in ledger_entries.columns
    ),
)
_ledger_seq = itertools.count()


def _templates(gh: Gatehouse) -> dict[str, dict[str, Any]]:
    """One real kept record per hold (the first deletion's): the baseline writes rows as large."""
    with gh.engine.connect() as connection:
        rows = connection.execute(select(retention_records)).mappings().all()
    return {row["hold"]: dict(row) for row in rows}


def _baseline_sql(
    gh: Gatehouse, subject_id: str, shape: DeletionShape, templates: dict[str, dict[str, Any]]
) -> float:
    """The rows a deletion changes, changed for ``subject_id`` with Core in one transaction.

    One read (which recipient holds which transfers) and one bulk statement per table: the
    same rows as ``shape``, the cheapest way a database makes this change.
    """
    start = time.perf_counter()
    now = datetime.now(UTC)
    deletion_id = new_id("del")
    kept = [
        {**templates[hold], "id": new_id("ret"), "deletion_id": deletion_id, "created_at": now}
        for hold, count in shape.retained.items()
        for _ in range(count)
    ]
    with gh.engine.begin() as connection:
        connection.execute(
            update(subjects).where(subjects.c.id == subject_id).values(deleted_at=now)
        )
        for table in (subject_keys, pii_fields, blind_indexes, subject_refs):
            connection.execute(delete(table).where(table.c.subject_id == subject_id))
        connection.execute(
            insert(deletions).values(
                id=deletion_id, subject_id=subject_id, requested_by="customer", at=now, receipt={}
            )
        )
        open_views = select(views.c.transfer_id).where(
            views.c.subject_id == subject_id, views.c.closed_at.is_(None)
        )
        connection.execute(
            update(safe_numbers)
            .where(safe_numbers.c.transfer_id.in_(open_views))
            .values(released_at=now, reusable_after=now + timedelta(days=30))
        )
        closed = connection.execute(
            update(views)
            .where(views.c.subject_id == subject_id, views.c.closed_at.is_(None))
            .values(closed_at=now, close_reason="subject_deleted")
        ).rowcount
        connection.execute(
            update(view_windows).where(view_windows.c.subject_id == subject_id).values(until=now)
        )
        connection.execute(insert(retention_records), kept)
        held = connection.execute(
            select(transfers.c.recipient_id, transfers.c.id, orders.c.external_ref)
            .join(orders, orders.c.id == transfers.c.order_id)
            .where(transfers.c.subject_id == subject_id, transfers.c.allowed.is_(True))
        ).all()
        by_recipient: dict[str, tuple[list[str], list[str]]] = {}
        for recipient_id, transfer_id, ref in held:
            ids, refs = by_recipient.setdefault(recipient_id, ([], []))
            ids.append(transfer_id)
            refs.append(ref)
        erasures = [
            {
                "id": new_id("era"),
                "deletion_id": deletion_id,
                "recipient_id": recipient_id,
                "transfer_ids": ids,
                "order_refs": refs,
                "requested_at": now,
                "due_at": now + timedelta(days=10),
                "cause": "subject_deleted",
            }
            for recipient_id, (ids, refs) in by_recipient.items()
        ]
        connection.execute(insert(erasure_requests), erasures)
        # Done already, so the worker never runs them: only the rows are being weighed.
        connection.execute(
            insert(outbox_jobs),
            [
                {
                    "id": new_id("job"),
                    "kind": "bench.erasure",
                    "payload": {
                        "webhook_id": row["id"],
                        "data": {k: row[k] for k in ("transfer_ids", "order_refs")},
                    },
                    "dedupe_key": f"bench:{row['id']}",
                    "status": "done",
                    "attempts": 0,
                    "max_attempts": 8,
                    "run_at": now,
                    "created_at": now,
                }
                for row in erasures
            ],
        )
        connection.execute(
            insert(bench_ledger),
            [
                {
                    "shard": 0,
                    "seq": next(_ledger_seq),
                    "kind": "view.closed",
                    "at": now.isoformat(),
                    "subject_id": subject_id,
                    "recipient_id": None,
                    "payload": {"transfer_id": new_id("trf"), "reason": "subject_deleted"},
                    "prev_hash": "0" * 64,
                    "entry_hash": "0" * 64,
                }
                for _ in range(shape.ledger_entries)
            ],
        )
        connection.execute(
            update(deletions).where(deletions.c.id == deletion_id).values(receipt={"kept": 1})
        )
    if (closed, len(erasures)) != (shape.views_closed, shape.erasures):
        raise RuntimeError("the baseline did not change the rows the deletion did")
    return time.perf_counter() - start


# -- timed ------------------------------------------------------------------------------------


def _shape(receipt: DeletionReceipt) -> DeletionShape:
    retained: dict[str, int] = {}
    for record in receipt.retained:
        retained[record.hold] = retained.get(record.hold, 0) + 1
    # One entry per closed view and the deletion's own.
    return DeletionShape(
        receipt.views_closed, len(receipt.erasure_notices), retained, receipt.views_closed + 1
    )


def _drain(gh: Gatehouse) -> int:
    """Run the worker's passes until one finds nothing due; return the jobs finished."""
    finished = 0
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while (report := worker.run_once(gh, WORKER_ID)).total:
        finished += report.total
        if report.retried or report.dead or time.monotonic() > deadline:
            raise RuntimeError(f"a notice was not delivered at the first attempt: {report}")
    return finished


def _delete_and_deliver(
    gh: Gatehouse, subject_id: str, base_url: str, shape: DeletionShape | None
) -> tuple[float, float, DeletionReceipt]:
    """Delete, then drain the outbox: (seconds to delete, seconds from commit to delivered)."""
    before, _ = _stats(base_url)
    start = time.perf_counter()
    receipt = delete_account(gh, subject_id)
    committed = time.perf_counter()
    delivered = _drain(gh)
    done = time.perf_counter()
    posts, reached = _stats(base_url, before)
    # Checked after timing: every notice arrived, once, one per recipient that got data.
    notices = len(receipt.erasure_notices)
    if not delivered == posts - before == reached == notices:
        raise RuntimeError(
            f"{notices} notices queued, {delivered} jobs finished, "
            f"{posts - before} POSTs to {reached} endpoints"
        )
    if shape is not None and _shape(receipt) != shape:
        raise RuntimeError(f"this deletion did not change what the first did: {_shape(receipt)}")
    return committed - start, done - committed, receipt


def _signed_events(recipients: list[Recipient]) -> list[tuple[str, str, bytes]]:
    """(URL, webhook id, body) of one erasure notice per recipient, as the outbox sends it."""
    at = datetime.now(UTC)
    return [
        (
            r.url,
            f"era_{index:032x}",
            encode_event(
                ERASURE_EVENT,
                at,
                {
                    "erasure_id": f"era_{index:032x}",
                    "cause": "subject_deleted",
                    "transfer_ids": [new_id("trf") for _ in range(TRANSFERS // len(recipients))],
                    "order_refs": [f"KR-000-{i:06d}" for i in range(TRANSFERS // len(recipients))],
                    "due_at": at.isoformat(),
                    "acknowledge": f"/v1/recipient/erasures/era_{index:032x}/ack",
                },
            ),
        )
        for index, r in enumerate(recipients)
    ]


def _posts_new_client(events: list[tuple[str, str, bytes]], secret: bytes) -> float:
    """The webhook handler's own POST (a new client each, signed), without the outbox."""
    start = time.perf_counter()
    for url, webhook_id, body in events:
        post_event(url, [secret], webhook_id, body, datetime.now(UTC), _LOCAL)
    return time.perf_counter() - start


def _posts_one_client(events: list[tuple[str, str, bytes]], secret: bytes) -> float:
    """The same signed POSTs over one client that keeps its connection: the least HTTP costs."""
    start = time.perf_counter()
    with httpx.Client(timeout=30) as client:
        for url, webhook_id, body in events:
            timestamp = int(time.time())
            response = client.post(
                url,
                content=body,
                headers={
                    "content-type": "application/json",
                    "webhook-id": webhook_id,
                    "webhook-timestamp": str(timestamp),
                    "webhook-signature": sign([secret], webhook_id, timestamp, body),
                },
            )
            if response.status_code != 204:
                raise RuntimeError(f"the endpoint answered {response.status_code}")
    return time.perf_counter() - start


@dataclass(frozen=True)
class Profiled:
    """The first deletion, counted and profiled."""

    receipt: DeletionReceipt
    statements: Counter[str]  # "VERB table" -> statements the deletion sent
    deletion: str  # cProfile's top lines
    delivery: str


_TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", re.I)


def _report(profile: cProfile.Profile, lines: int) -> str:
    """The top lines by own time, then Gatehouse's own functions by cumulative time."""
    root = str(Path(gatehouse.__file__).resolve().parents[1]) + "/"
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("tottime").print_stats(lines)
    stats.sort_stats("cumulative").print_stats(r"gatehouse/(services|store|ledger|vault)/", lines)
    # Paths relative to the project and to site-packages: the lines read the same anywhere.
    text = out.getvalue().replace(root, "")
    return re.sub(r"\S*/site-packages/", "", text)


def _profiled(gh: Gatehouse, subject_id: str, base_url: str, lines: int) -> Profiled:
    """Delete and deliver once under cProfile, counting the deletion's statements by table.

    This first deletion also warms the caches of everything the timed rounds run.
    """
    statements: Counter[str] = Counter()

    def count(_c: Any, _cursor: Any, statement: str, *_: Any) -> None:
        table = _TABLE.search(statement)
        statements[f"{statement.split(None, 1)[0].upper()} {table[1] if table else ''}"] += 1

    profiles = cProfile.Profile(), cProfile.Profile()
    before, _ = _stats(base_url)
    event.listen(gh.engine, "before_cursor_execute", count)
    try:
        profiles[0].enable()
        receipt = delete_account(gh, subject_id)
        profiles[0].disable()
    finally:
        event.remove(gh.engine, "before_cursor_execute", count)
    profiles[1].enable()
    delivered = _drain(gh)
    profiles[1].disable()
    posts, reached = _stats(base_url, before)
    if not delivered == posts - before == reached == len(receipt.erasure_notices):
        raise RuntimeError("the first deletion's notices did not all arrive")
    return Profiled(receipt, statements, *(_report(p, lines) for p in profiles))


def run(url: str, rounds: int, profile_lines: int) -> None:
    """Build the recipients and customers, then time deleting and telling, round by round."""
    settings = Settings.from_env(
        {
            "GATEHOUSE_DATABASE_URL": url,
            "GATEHOUSE_MASTER_KEY": MasterKey.generate().to_b64(),
            ALLOW_ENV: _LOCAL_ENDPOINTS,
        }
    )
    gh = open_gatehouse(settings)
    bench_metadata.drop_all(gh.engine)
    bench_metadata.create_all(gh.engine)
    with endpoints() as base_url:
        setup_start = time.perf_counter()
        recipients = register(gh, base_url)
        people = KoreanCustomers(17)
        # One for the profile, then per round one to delete and one for the SQL baseline.
        customers = [make_customer(gh, recipients, people, n) for n in range(1 + 2 * rounds)]
        _drain(gh)  # whatever the setup queued is not the deletion's to deliver
        setup = time.perf_counter() - setup_start

        profiled = _profiled(gh, customers[0], base_url, profile_lines)
        shape = _shape(profiled.receipt)
        templates = _templates(gh)
        events = _signed_events(recipients)
        secret = new_data_key()
        deleting, delivering, sql, new_client, one_client = [], [], [], [], []
        for round_number in range(rounds):
            doomed, other = customers[1 + 2 * round_number], customers[2 + 2 * round_number]
            # Alternate the order so neither side always runs on a warmer cache.
            if round_number % 2:
                sql.append(_baseline_sql(gh, other, shape, templates))
                one_client.append(_posts_one_client(events, secret))
                new_client.append(_posts_new_client(events, secret))
            deleted, delivered, _ = _delete_and_deliver(gh, doomed, base_url, shape)
            deleting.append(deleted)
            delivering.append(delivered)
            if not round_number % 2:
                sql.append(_baseline_sql(gh, other, shape, templates))
                new_client.append(_posts_new_client(events, secret))
                one_client.append(_posts_one_client(events, secret))
    bench_metadata.drop_all(gh.engine)
    gh.close()

    def ms(samples: list[float]) -> float:
        return statistics.median(samples) * 1000

    backend = url.split(":", 1)[0]
    kept = ", ".join(f"{count} {hold}" for hold, count in sorted(shape.retained.items()))
    print(
        f"backend: {backend}; {len(recipients)} recipients, {TRANSFERS} transfers per customer, "
        f"{rounds} rounds; setup {setup:.1f} s ({len(customers)} customers)"
    )
    print(
        f"a deletion: {shape.views_closed} views closed, {shape.erasures} erasure notices, "
        f"records kept: {kept}; {shape.ledger_entries} ledger entries"
    )
    statements = profiled.statements
    print(
        f"its statements: {sum(statements.values()):,} in one transaction; the most frequent: "
        + ", ".join(f"{n:,} {what}" for what, n in statements.most_common(12))
    )
    print(f"delete_account (one transaction):            {ms(deleting):9.1f} ms (median)")
    print(f"baseline, the same rows in plain SQL:        {ms(sql):9.1f} ms")
    print(f"ratio delete_account/baseline: {ms(deleting) / ms(sql):.1f}")
    print(f"delivery, commit to 200th notice (worker):   {ms(delivering):9.1f} ms")
    print(f"baseline, 200 POSTs, a new client each:      {ms(new_client):9.1f} ms")
    print(f"baseline, 200 POSTs over one client:         {ms(one_client):9.1f} ms")
    print(
        f"ratio worker/new client: {ms(delivering) / ms(new_client):.1f}; "
        f"worker/one client: {ms(delivering) / ms(one_client):.1f}; "
        f"per notice: {ms(delivering) / shape.erasures:.1f} ms "
        f"vs {ms(new_client) / shape.erasures:.1f} and {ms(one_client) / shape.erasures:.1f} ms"
    )
    for name, samples in (
        ("delete", deleting),
        ("sql", sql),
        ("deliver", delivering),
        ("new client", new_client),
        ("one client", one_client),
    ):
        print(f"rounds, {name} (ms): " + "; ".join(f"{s * 1000:,.0f}" for s in samples))
    if profile_lines:
        print("\ncProfile of the first deletion (delete_account), by own time:")
        print(profiled.deletion)
        print("cProfile of delivering its notices (the worker's passes), by own time:")
        print(profiled.delivery)


def main() -> None:
    """Parse the arguments and run in a scratch database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--profile", type=int, default=25, help="profile lines to print (0: none)")
    args = parser.parse_args()
    go = partial(run, rounds=args.rounds, profile_lines=args.profile)
    if args.database_url and not args.database_url.startswith("sqlite"):
        # Never write into the server's own database: benchmark in a scratch one.
        with scratch_database(args.database_url, prefix="gatehouse_bench") as url:
            go(url)
        return
    if args.database_url:
        go(args.database_url)
        return
    workdir = Path(tempfile.mkdtemp(prefix="gatehouse-bench-"))
    try:
        go(f"sqlite:///{workdir / 'bench.db'}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
