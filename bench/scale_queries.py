"""Every user-facing query at scale: p50 and p99 of each operation, and the indexes it uses.

The operations (the catalogue, :data:`OPERATIONS`) are called in this process through the same
service functions the API and the pages call, not over HTTP, so the figures are the database
and service time of each answer, without the HTTP layer:

- **transfer**: ``transfers.request_transfer`` (``POST /v1/orders/{id}/transfers``), on an
  order made for it beforehand (untimed);
- **who has my data**: ``customer.transfers_of`` with proofs (``GET /v1/me/transfers``);
- **privacy center summary**: ``customer_recipients.transfer_summary`` (the ``/privacy`` home's
  recipients and chart);
- **open views**: ``views.list_views(only_open=True)`` (``GET /v1/recipient/transfers``);
- **console panels**: ``console.dashboard`` and ``console_incidents.open_incidents``
  (``/console``);
- **policy register page**: ``policy_reading.show_policy`` (its entrustee tables' first
  pages included), ``policy_register_page`` and ``policy_history`` (``/privacy-policy``),
  once unfiltered and once for one country;
- **rights request**: ``rights_requests.submit_request`` (``POST /v1/me/requests``);
- **deletion (50 transfers)**: ``customer.delete_account`` (``DELETE /v1/me``) of a customer
  made beforehand with 50 allowed transfers (untimed);
- **audit of one month**: ``audit_report.build_audit`` over the last whole month that has
  transfers, listing the first ``EXCEPTIONS_SHOWN`` exceptions of each finding, as the console
  and ``GET /v1/audit`` in HTML or PDF ask for it. Where the month is settled (``gatehouse
  ledger keep-days``, run beforehand, untimed, keeps its days and then settles it), it reads
  that one signed row and the first page of each listing; where only its days are kept, it
  merges their signed folds; **audit of one month, every exception** lists all that the
  report keeps (up to 10,000 a finding), as ``GET /v1/audit`` in JSON does by default;
  **audit of one month, entries read**
  (``from_entries``) verifies that month's entries instead (each recomputed and chained, and
  proven included in the latest signed checkpoint), not the whole ledger: its cost follows
  the month, not the ledger's history (``gatehouse ledger verify`` checks it all).

Writes (transfers, requests, deletions) fall on customers the benchmark creates for itself,
so no existing customer is changed. Each operation is also run once with every statement
captured, and ``EXPLAIN (FORMAT JSON)`` of each statement names the indexes its plan uses and
any whole-table scan of a table that grows with customers, orders or recipients.

The peer in the same run is ``--compare URL``, the same operations on a second database (the
10,000-customer one), printed beside with the ratio. The database must be migrated already:
the benchmark does not migrate it. Keys come from the environment as for ``gatehouse serve``
(``GATEHOUSE_MASTER_KEY`` or ``GATEHOUSE_KEY_FILE``).

    .venv/bin/python bench/scale_queries.py [--database-url URL] [--compare URL2]
        [--samples 200] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event, text

from gatehouse.config import Settings
from gatehouse.demo.korea import korean_mobile
from gatehouse.domain.errors import NotFound
from gatehouse.domain.orders import OrderItem
from gatehouse.domain.subjects import validate_subject_pii
from gatehouse.reports import EXCEPTIONS_SHOWN
from gatehouse.services import console, customer, notices, orders, rights_requests, subjects
from gatehouse.services.audit_report import build_audit, day_window
from gatehouse.services.consents import record_consent
from gatehouse.services.customer_recipients import transfer_summary
from gatehouse.services.policy_reading import (
    PolicyRegisterQuery,
    policy_history,
    policy_register_page,
    show_policy,
)
from gatehouse.services.runtime import Gatehouse, open_gatehouse
from gatehouse.services.transfers import request_transfer
from gatehouse.services.views import list_views
from gatehouse.web.console_incidents import open_incidents

LARGE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/gatehouse_scale_large"

# Tables that grow with customers, orders or recipients: none may be read whole.
BIG_TABLES = frozenset(
    {
        "subjects", "subject_keys", "pii_fields", "blind_indexes", "pii_reads",
        "recipients", "api_keys", "terms_acceptances", "disclosure_recipients",
        "notices", "disclosures", "consents", "orders", "order_events",
        "transfers", "views", "safe_numbers", "transfer_totals", "view_windows",
        "ledger_entries", "deletions", "erasure_requests", "retention_records",
        "rights_requests", "customer_sessions", "portal_sessions", "outbox_jobs",
        "operator_events", "abuse_flags", "suspension_events", "policy_register",
        "policy_disclosures", "policy_entrustees",
    }
)  # fmt: skip
_DML = ("select", "insert", "update", "delete", "with")


# --- capturing statements and reading their plans --------------------------------------------


@dataclass(frozen=True)
class Statement:
    """One statement as the driver received it."""

    sql: str
    parameters: Any


@contextmanager
def captured(*engines: Engine | None) -> Iterator[list[Statement]]:
    """Every data statement run on ``engines`` inside the block, in order."""
    seen: list[Statement] = []

    def listen(
        conn: Any, cursor: Any, sql: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        if sql.lstrip().lower().startswith(_DML):
            first = parameters[0] if executemany and parameters else parameters
            seen.append(Statement(sql, first))

    targets = [e for e in engines if e is not None]
    for engine in targets:
        event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        for engine in targets:
            event.remove(engine, "before_cursor_execute", listen)


def explain(engine: Engine, statements: Iterable[Statement], *, seqscan: bool) -> list[Any]:
    """``EXPLAIN (FORMAT JSON)`` of each statement with its parameters, nothing executed.

    With ``seqscan`` False the planner avoids a sequential scan wherever an index can serve,
    so a table of a few test rows cannot hide a missing index.
    """
    plans = []
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SET enable_seqscan = " + ("on" if seqscan else "off"))
        for statement in statements:
            cursor.execute("EXPLAIN (FORMAT JSON) " + statement.sql, statement.parameters)
            row = cursor.fetchone()
            assert row is not None
            found = row[0]
            plans.append((json.loads(found) if isinstance(found, str) else found)[0]["Plan"])
    finally:
        raw.rollback()
        raw.close()
    return plans


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every node of a plan, its own first."""
    yield plan
    for child in plan.get("Plans", ()):
        yield from nodes(child)


# Nodes that pass rows on as they come, so a Limit above them stops the scan below early.
_STREAMING = frozenset(
    {
        "Limit", "Index Scan", "Index Only Scan", "Nested Loop", "Result", "Subquery Scan",
        "Append", "Merge Append", "Unique", "Incremental Sort", "Gather Merge", "LockRows",
        "Memoize",
    }
)  # fmt: skip


_INDEX_SCANS = ("Index Scan", "Index Only Scan")


def _whole_reads(plan: dict[str, Any], limited: bool, tables: frozenset[str]) -> Iterator[str]:
    kind = plan["Node Type"]
    limited = kind == "Limit" or (limited and kind in _STREAMING)
    table = plan.get("Relation Name")
    # An index walked end to end, with no Limit to stop it, reads the whole table too.
    walked = kind in _INDEX_SCANS and "Index Cond" not in plan and not limited
    if table in tables and (kind == "Seq Scan" or walked):
        yield table
    for child in plan.get("Plans", ()):
        yield from _whole_reads(child, limited, tables)


def whole_table_reads(plan: dict[str, Any], tables: frozenset[str] = BIG_TABLES) -> list[str]:
    """The big tables a plan reads whole: by sequential scan, or along an index with no
    condition and no Limit to stop it."""
    return list(_whole_reads(plan, False, tables))


def index_names(plan: dict[str, Any]) -> list[str]:
    """The indexes a plan reads, in plan order, each once."""
    found = (n.get("Index Name") for n in nodes(plan))
    return list(dict.fromkeys(name for name in found if name))


# --- customers the benchmark makes for itself -------------------------------------------------


@dataclass
class Shop:
    """Sellers that take this benchmark's orders, and customers made for it."""

    gh: Gatehouse
    sellers: list[str]
    rng: random.Random = field(default_factory=lambda: random.Random(15))

    def customer(self, sellers: int = 5) -> tuple[str, list[str]]:
        """A new customer who consented to ``sellers`` of the shop's sellers; (id, sellers)."""
        n = self.rng.randrange(10**8)
        pii = validate_subject_pii(
            external_ref=f"bench-{uuid.uuid4().hex}",
            name="홍길동",
            email=f"bench{n}@example.kr",
            phone=korean_mobile(n),
            postal_code="06236",
            line1="서울특별시 강남구 테헤란로 152",
            line2="12층",
            customs_code=f"P{n:012d}",
        )
        subject_id = subjects.create_subject(self.gh, subjects.NewSubject(pii, "KR", "ko-KR")).id
        chosen = self.rng.sample(self.sellers, min(sellers, len(self.sellers)))
        if not chosen:
            return subject_id, chosen
        notice = notices.render_for_subject(
            self.gh,
            subject_id=subject_id,
            recipient_ids=chosen,
            countries=[],
            purpose="fulfilment",
            flow="provision",
            locale=None,
        )
        record_consent(self.gh, subject_id, notice.hash, granted=True, channel="web")
        return subject_id, chosen

    def order(self, subject_id: str, seller: str) -> str:
        """A new order of the customer's at the seller."""
        new = orders.NewOrder(
            subject_id=subject_id,
            recipient_id=seller,
            external_ref=f"ORD-{uuid.uuid4().hex}",
            items=[OrderItem("CASE-01", "휴대폰 케이스", 2)],
            delivery_note="문 앞에 두세요",
            customs_required=False,
        )
        return orders.create_order(self.gh, new)

    def transfer(self, subject_id: str, seller: str) -> str:
        """An allowed fulfilment transfer of a new order; its id."""
        outcome = request_transfer(
            self.gh, self.order(subject_id, seller), purpose="fulfilment", flow="provision"
        )
        if not outcome.decision.allowed:
            raise RuntimeError(f"the shop's transfer was refused: {outcome.decision.message}")
        return outcome.transfer_id


# --- the catalogue ----------------------------------------------------------------------------


@dataclass
class Targets:
    """What the operations are asked about: existing customers and recipients, and the shop."""

    subjects: list[str]
    recipients: list[str]
    countries: list[str]
    month: tuple[date, date] | None
    shop: Shop
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def subject(self) -> str:
        return self.rng.choice(self.subjects)

    def recipient(self) -> str:
        return self.rng.choice(self.recipients)


# Untimed preparation returns the timed call.
Prepare = Callable[[Gatehouse, Targets], Callable[[], object]]


@dataclass(frozen=True)
class Operation:
    """One user-facing answer and the service calls that give it."""

    name: str
    calls: str
    prepare: Prepare
    samples: int  # the default number of samples at --samples 200


def _transfer(gh: Gatehouse, t: Targets) -> Callable[[], object]:
    subject_id, sellers = t.shop.customer(sellers=2)
    order_id = t.shop.order(subject_id, sellers[0])
    return lambda: request_transfer(gh, order_id, purpose="fulfilment", flow="provision")


def _who_has_my_data(gh: Gatehouse, t: Targets) -> Callable[[], object]:
    subject_id = t.subject()
    return lambda: customer.transfers_of(gh, subject_id, limit=50)


def _summary(gh: Gatehouse, t: Targets) -> Callable[[], object]:
    subject_id = t.subject()
    return lambda: transfer_summary(gh, subject_id)


def _open_views(gh: Gatehouse, t: Targets) -> Callable[[], object]:
    recipient_id = t.recipient()
    return lambda: list_views(gh, recipient_id, only_open=True, after=None, limit=50)


def _console(gh: Gatehouse, t: Targets) -> Callable[[], object]:
    return lambda: (console.dashboard(gh, "ko"), open_incidents(gh, "ko"))


def _policy_page(country: bool) -> Prepare:
    def prepare(gh: Gatehouse, t: Targets) -> Callable[[], object]:
        chosen = t.rng.choice(t.countries) if country and t.countries else None

        def page() -> object:
            shown = show_policy(gh, locale="ko")
            query = PolicyRegisterQuery(version=shown.version.version, locale="ko", country=chosen)
            return shown, policy_register_page(gh, query), policy_history(gh)

        return page

    return prepare


def _rights_request(gh: Gatehouse, t: Targets) -> Callable[[], object]:
    subject_id, _ = t.shop.customer(sellers=1)
    return lambda: rights_requests.submit_request(
        gh, subject_id, request_type="access", message="제 정보를 열람하고 싶습니다"
    )


def _deletion(gh: Gatehouse, t: Targets) -> Callable[[], object]:
    subject_id, sellers = t.shop.customer(sellers=5)
    for seller in itertools.islice(itertools.cycle(sellers), 50):
        t.shop.transfer(subject_id, seller)
    return lambda: customer.delete_account(gh, subject_id)


def _audit(*, from_entries: bool = False, listed: int | None = None) -> Prepare:
    def prepare(gh: Gatehouse, t: Targets) -> Callable[[], object]:
        if t.month is None:
            raise LookupError("no transfers, so no month to audit")
        first, last = t.month
        window = day_window(first, last)
        return lambda: build_audit(gh, *window, from_entries=from_entries, listed=listed)

    return prepare


OPERATIONS = (
    Operation("transfer", "transfers.request_transfer", _transfer, 200),
    Operation("who has my data", "customer.transfers_of(limit=50)", _who_has_my_data, 200),
    Operation("privacy center summary", "transfer_summary", _summary, 200),
    Operation("open views", "views.list_views(only_open)", _open_views, 200),
    Operation("console panels", "console.dashboard + open_incidents", _console, 200),
    Operation("policy register page", "show_policy + register page", _policy_page(False), 200),
    Operation("policy register, 1 country", "the same, country=", _policy_page(True), 200),
    Operation("rights request", "rights_requests.submit_request", _rights_request, 200),
    Operation("deletion (50 transfers)", "customer.delete_account", _deletion, 20),
    Operation(
        "audit of one month",
        "build_audit(listed=EXCEPTIONS_SHOWN)",
        _audit(listed=EXCEPTIONS_SHOWN),
        50,
    ),
    Operation("audit of one month, every exception", "audit_report.build_audit", _audit(), 20),
    Operation(
        "audit of one month, entries read",
        "build_audit(from_entries)",
        _audit(from_entries=True),
        3,
    ),
)


# --- choosing what to ask about ---------------------------------------------------------------


def _month_of(last: datetime | None) -> tuple[date, date] | None:
    if last is None:
        return None
    first = last.date().replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _candidate_sellers(gh: Gatehouse, count: int) -> list[str]:
    """Active sellers that accepted the terms, at random (setup: may read tables whole)."""
    sql = text(
        "SELECT id FROM recipients WHERE status = 'active' AND kind = 'seller'"
        " AND accepted_terms_version IS NOT NULL ORDER BY random() LIMIT :n"
    )
    with gh.engine.connect() as c:
        return [row[0] for row in c.execute(sql, {"n": count})]


def open_shop(gh: Gatehouse, sellers: int = 20) -> Shop:
    """The sellers that take the benchmark's orders: those that allow a consented transfer."""
    candidates = _candidate_sellers(gh, sellers * 2)
    probe = Shop(gh, candidates)
    subject_id, _ = probe.customer(sellers=len(candidates))
    taking = []
    for seller in candidates:
        order_id = probe.order(subject_id, seller)
        outcome = request_transfer(gh, order_id, purpose="fulfilment", flow="provision")
        if outcome.decision.allowed:
            taking.append(seller)
        if len(taking) == sellers:
            break
    if not taking:
        raise LookupError("no active seller with accepted terms allows a consented transfer")
    return Shop(gh, taking)


def choose_targets(gh: Gatehouse, shop: Shop, count: int = 1000) -> Targets:
    """Live customers with transfers, recipients with views, the countries and the month."""
    with gh.engine.connect() as c:
        subject_ids = [
            row[0]
            for row in c.execute(
                text(
                    "SELECT s.id FROM subjects s WHERE s.deleted_at IS NULL AND EXISTS"
                    " (SELECT 1 FROM transfer_totals t WHERE t.subject_id = s.id)"
                    " ORDER BY random() LIMIT :n"
                ),
                {"n": count},
            )
        ]
        recipient_ids = [
            row[0]
            for row in c.execute(
                text(
                    "SELECT r.id FROM recipients r WHERE EXISTS"
                    " (SELECT 1 FROM views v WHERE v.recipient_id = r.id)"
                    " ORDER BY random() LIMIT :n"
                ),
                {"n": count},
            )
        ]
        countries = [
            row[0] for row in c.execute(text("SELECT DISTINCT country FROM policy_register"))
        ]
        last = c.execute(text("SELECT max(decided_at) FROM transfers")).scalar()
    if not subject_ids or not recipient_ids:
        raise LookupError("the database has no customer with transfers or recipient with views")
    return Targets(subject_ids, recipient_ids, countries, _month_of(last), shop)


# --- measuring --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plans:
    """What one run of an operation's statements read, as the planner would run them here."""

    statements: int
    indexes: list[str]
    # Tables read whole as planned at this size, where a sequential scan may be cheapest.
    whole_tables: list[str]
    # Tables read whole even with sequential scans priced out: no index serves the query.
    unindexed: list[str]


@dataclass
class Measured:
    """One operation's timings (milliseconds) and what its statements' plans read."""

    operation: Operation
    millis: list[float]
    plans: Plans

    def percentile(self, p: int) -> float:
        """The nearest-rank percentile; ``p`` 50 is the median."""
        if p == 50:
            return statistics.median(self.millis)
        ordered = sorted(self.millis)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def plans_of(gh: Gatehouse, call: Callable[[], object]) -> Plans:
    """Run ``call`` once with capture, and read the plans of what it ran."""
    with captured(gh.engine, gh.replica_engine) as statements:
        call()
    planned = explain(gh.engine, statements, seqscan=True)
    forced = explain(gh.engine, statements, seqscan=False)
    return Plans(
        statements=len(statements),
        indexes=list(dict.fromkeys(name for p in planned for name in index_names(p))),
        whole_tables=sorted({table for p in planned for table in whole_table_reads(p)}),
        unindexed=sorted({table for p in forced for table in whole_table_reads(p)}),
    )


def measure(gh: Gatehouse, targets: Targets, operation: Operation, samples: int) -> Measured:
    """``samples`` timings of the operation, each on a freshly prepared target."""
    plans = plans_of(gh, operation.prepare(gh, targets))
    millis = []
    for _ in range(samples):
        call = operation.prepare(gh, targets)
        began = time.perf_counter()
        call()
        millis.append((time.perf_counter() - began) * 1000)
    return Measured(operation, millis, plans)


@dataclass
class Side:
    """One database under measurement: its Gatehouse and what it is asked about."""

    gh: Gatehouse
    targets: Targets


# The month to audit when --month names one, instead of the month of the latest transfer.
_MONTH: list[tuple[date, date]] = []


@contextmanager
def opened(url: str) -> Iterator[Side]:
    """The database at ``url``, opened as it stands (no migration), with its targets."""
    settings = Settings.from_env({**os.environ, "GATEHOUSE_DATABASE_URL": url})
    gh = open_gatehouse(settings, run_migrations=False)
    try:
        targets = choose_targets(gh, open_shop(gh))
        if _MONTH:
            targets.month = _MONTH[0]
        yield Side(gh, targets)
    finally:
        gh.close()


def _chosen(names: set[str] | None, samples: int) -> Iterator[tuple[Operation, int]]:
    for operation in OPERATIONS:
        if not names or operation.name in names:
            yield operation, max(1, operation.samples * samples // 200)


def _print(name: str, m: Measured) -> None:
    p50, p99 = m.percentile(50), m.percentile(99)
    print(f"    {name}: p50 {p50:.1f} ms, p99 {p99:.1f} ms", file=sys.stderr, flush=True)


def run_all(url: str, names: set[str] | None, samples: int) -> dict[str, Measured]:
    """Every chosen operation on the database at ``url``."""
    with opened(url) as side:
        results = {}
        for operation, n in _chosen(names, samples):
            print(f"  {operation.name}: {n} samples", file=sys.stderr, flush=True)
            try:
                m = results[operation.name] = measure(side.gh, side.targets, operation, n)
            except (LookupError, NotFound) as exc:  # nothing to ask about in this database
                print(f"  {operation.name}: skipped, {exc}", file=sys.stderr, flush=True)
                continue
            _print(operation.name, m)
        return results


def run_interleaved(
    url: str, peer_url: str, names: set[str] | None, samples: int
) -> tuple[dict[str, Measured], dict[str, Measured]]:
    """Every chosen operation on both databases, a sample on one and then on the other, so
    that a shared machine's changing load falls on both alike."""
    main: dict[str, Measured] = {}
    peer: dict[str, Measured] = {}
    with opened(url) as one, opened(peer_url) as other:
        for operation, n in _chosen(names, samples):
            print(f"  {operation.name}: {n} samples each, interleaved", file=sys.stderr, flush=True)
            try:
                pair = [
                    Measured(
                        operation, [], plans_of(side.gh, operation.prepare(side.gh, side.targets))
                    )
                    for side in (one, other)
                ]
                for _ in range(n):
                    for side, measured in zip((one, other), pair, strict=True):
                        call = operation.prepare(side.gh, side.targets)
                        began = time.perf_counter()
                        call()
                        measured.millis.append((time.perf_counter() - began) * 1000)
            except (LookupError, NotFound) as exc:
                print(f"  {operation.name}: skipped, {exc}", file=sys.stderr, flush=True)
                continue
            main[operation.name], peer[operation.name] = pair
            _print("main", pair[0])
            _print("peer", pair[1])
    return main, peer


def _subjects(url: str) -> int:
    settings = Settings.from_env({**os.environ, "GATEHOUSE_DATABASE_URL": url})
    gh = open_gatehouse(settings, run_migrations=False)
    try:
        with gh.engine.connect() as c:
            return int(c.execute(text("SELECT count(*) FROM subjects")).scalar_one())
    finally:
        gh.close()


def report(main: dict[str, Measured], peer: dict[str, Measured] | None) -> None:
    """The table: p50 and p99 per operation, beside the peer's with the ratios."""
    head = f"{'operation':30} {'n':>4} {'p50 ms':>9} {'p99 ms':>9}"
    if peer is not None:
        head += f" {'peer p50':>9} {'peer p99':>9} {'p50 ratio':>9} {'p99 ratio':>9}"
    print(head)
    for name, m in main.items():
        p50, p99 = m.percentile(50), m.percentile(99)
        line = f"{name:30} {len(m.millis):4} {p50:9.1f} {p99:9.1f}"
        other = None if peer is None else peer.get(name)
        if other is not None:
            o50, o99 = other.percentile(50), other.percentile(99)
            line += f" {o50:9.1f} {o99:9.1f} {p50 / o50:9.2f} {p99 / o99:9.2f}"
        print(line)
    print()
    for name, m in main.items():
        plans = m.plans
        print(f"{name} ({m.operation.calls}): {plans.statements} statements")
        print(f"  indexes: {', '.join(plans.indexes) or '-'}")
        if plans.whole_tables:
            print(f"  read whole as planned at this size: {', '.join(plans.whole_tables)}")
        if plans.unindexed:
            print(f"  read whole with no index to serve: {', '.join(plans.unindexed)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=LARGE_URL)
    parser.add_argument("--compare", help="the peer database, measured in the same run")
    parser.add_argument("--samples", type=int, default=200, help="per fast operation")
    parser.add_argument("--only", nargs="*", help="operation names to run")
    parser.add_argument(
        "--month", help="YYYY-MM: the month to audit (default: that of the latest transfer)"
    )
    parser.add_argument(
        "--interleave",
        action="store_true",
        help="with --compare: alternate the two databases sample by sample",
    )
    args = parser.parse_args()
    names = set(args.only) if args.only else None
    if args.month:
        chosen = _month_of(datetime.strptime(args.month, "%Y-%m"))
        assert chosen is not None
        _MONTH.append(chosen)
    for url in filter(None, (args.database_url, args.compare)):
        print(f"{url.rsplit('/', 1)[-1]}: {_subjects(url):,} subjects", flush=True)
    print("measured in process, through the services the API and the pages call\n")
    peer: dict[str, Measured] | None
    if args.interleave and args.compare:
        main_results, peer = run_interleaved(args.database_url, args.compare, names, args.samples)
    else:
        main_results = run_all(args.database_url, names, args.samples)
        peer = None if args.compare is None else run_all(args.compare, names, args.samples)
    report(main_results, peer)


if __name__ == "__main__":
    main()
