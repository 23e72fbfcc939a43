"""A marketplace at AliExpress scale, written in bulk: ``gatehouse demo --scale large``.

Three phases, each in chunks that commit on their own, so a run that stops part-way is
continued by running it again, without duplicates:

1. the registry (:mod:`scale_world`): operator, terms, recipients in 40 countries and each
   seller's checkout notice, through the use cases, a batch per transaction;
2. the customers (:mod:`scale_people`): subjects sealed into the vault and their consents,
   ``subject_chunk`` per transaction;
3. the orders (:mod:`scale_activity`): the history in slices, each slice's orders with their
   transfers, views, safe numbers, events and summary rows in one transaction, with the
   ledger entries stamped inside the slice (:mod:`scale_events` keeps each shard's entries in
   time order); then a signed checkpoint over the whole ledger.

Where a rerun starts is read from the rows already there: each chunk's rows and the ledger
shard heads commit together. Everything is derived from the seed, except key material and
nonces, which are random as the vault makes them, and the recipients' ids, which the
recipients use case draws; a rerun finds each recipient by the number ending its name.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, Table, func, select, text

from gatehouse.demo.scale_activity import Slice, slice_picks, slice_sizes, write_slice
from gatehouse.demo.scale_bulk import (
    BulkRows,
    ShardBook,
    add_decisions,
    add_totals,
    add_windows,
    write_rows,
)
from gatehouse.demo.scale_events import Backlog
from gatehouse.demo.scale_parts import WHOLE, Part
from gatehouse.demo.scale_people import (
    SUBJECT_CHUNK,
    Customer,
    customer_id,
    reload_customers,
    stable_id,
    write_customers,
)
from gatehouse.demo.scale_world import (
    COUNTRIES,
    Standing,
    WorldRecipient,
    build_world,
    load_world,
)
from gatehouse.services.ledger import latest_checkpoint, make_checkpoint
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.ledger_tables import ledger_entries
from gatehouse.store.tables import orders, recipients, subjects

__all__ = [
    "PRESETS",
    "Progress",
    "Scale",
    "ScaleReport",
    "database_bytes",
    "generate",
    "finish",
    "generate_part",
    "history_end",
    "prepare",
    "table_counts",
]

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)`` after each committed chunk."""

# The customers sign up over the first month; the orders fill the rest of the history.
_SIGNUP_DAYS = 30


@dataclass(frozen=True)
class Scale:
    """How big a marketplace to generate."""

    recipients: int
    countries: int
    subjects: int
    transfers: int
    history_days: int = 365
    slices: int = 52
    subject_chunk: int = SUBJECT_CHUNK
    seed: int = 2024


PRESETS: dict[str, Scale] = {
    # Slices of about 10,000 orders, so one transaction's rows stay a few tens of megabytes.
    "large": Scale(
        recipients=180_000, countries=40, subjects=1_000_000, transfers=10_000_000, slices=1000
    ),
    # 1 % of the large run: what the test suite generates.
    "small": Scale(recipients=1_800, countries=40, subjects=10_000, transfers=100_000, slices=10),
}


@dataclass
class ScaleReport:
    """What a run did: seconds it took, and whether it reached the end."""

    seconds: float
    complete: bool
    history_end: datetime
    chunks_written: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def _count(c: Connection, table: Table) -> int:
    return int(c.execute(select(func.count()).select_from(table)).scalar_one())


def history_end(gh: Gatehouse, scale: Scale) -> datetime:
    """The end of the history: now on a first run; on a rerun, what the first run chose."""
    with gh.engine.connect() as c:
        first: datetime | None = c.execute(
            select(func.min(recipients.c.created_at))
        ).scalar_one_or_none()
    if first is None:
        return gh.clock().astimezone(UTC).replace(microsecond=0)
    return first.replace(tzinfo=UTC) + timedelta(days=scale.history_days)


class _Stop(Exception):
    """Raised after the chunk budget of a run: what was committed stays."""


class _Budget:
    def __init__(self, stop_after: int | None) -> None:
        self.left = stop_after
        self.used = 0

    def spend(self) -> None:
        self.used += 1
        if self.left is not None:
            self.left -= 1
            if self.left <= 0:
                raise _Stop


def generate(
    gh: Gatehouse,
    scale: Scale,
    progress: Progress | None = None,
    *,
    stop_after: int | None = None,
) -> ScaleReport:
    """Generate ``scale`` into ``gh``'s database, continuing a run that stopped part-way.

    ``stop_after`` ends the run after that many chunks of customers or orders (to show that
    a rerun continues where it stopped).
    """
    began = time.perf_counter()
    prepare(gh, scale, progress)
    done = generate_part(gh, scale, WHOLE, progress, stop_after=stop_after)
    if not done.complete:
        return replace(done, seconds=time.perf_counter() - began)
    finish(gh, progress, signed=done.chunks_written == 0)
    counts = table_counts(gh.engine)
    seconds = time.perf_counter() - began
    return ScaleReport(seconds, True, done.history_end, done.chunks_written, counts)


def prepare(gh: Gatehouse, scale: Scale, progress: Progress | None = None) -> None:
    """The registry, and every ledger shard's row, before any part writes customers."""
    if not 1 <= scale.countries <= len(COUNTRIES):
        raise ValueError(f"a scale has 1 to {len(COUNTRIES)} countries, not {scale.countries}")
    end = history_end(gh, scale)
    start = end - timedelta(days=scale.history_days)
    registered = [0]

    def world_progress(done: int) -> None:
        registered[0] += done
        if progress is not None:
            progress("recipients", registered[0], scale.recipients)

    build_world(gh, scale, start, world_progress)
    with gh.engine.begin() as c:
        # The ledger's shard count is settled once, before parts open their books at once.
        ShardBook(c)


def finish(gh: Gatehouse, progress: Progress | None = None, *, signed: bool = False) -> None:
    """As the worker would have by now: a signed checkpoint over everything, so a customer's
    first proofs need not wait for one (unless the last run already signed this ledger)."""
    if signed and latest_checkpoint(gh) is not None:
        return
    if progress is not None:
        progress("checkpoint", 0, 1)
    make_checkpoint(gh)
    if progress is not None:
        progress("checkpoint", 1, 1)


def generate_part(
    gh: Gatehouse,
    scale: Scale,
    part: Part,
    progress: Progress | None = None,
    *,
    stop_after: int | None = None,
) -> ScaleReport:
    """Write ``part``'s customers and orders of a prepared marketplace, continuing where that
    part stopped; ``complete`` once it has written all of them."""
    began = time.perf_counter()

    def report(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    end = history_end(gh, scale)
    start = end - timedelta(days=scale.history_days)
    budget = _Budget(stop_after)
    world = load_world(gh, scale)
    sellers = [r for r in world if r.kind == "seller" and r.standing == Standing.ACTIVE]
    try:
        customers = _customers(gh, scale, sellers, start, budget, report, part)
        _orders(gh, scale, customers, sellers, world, start, end, budget, report, part)
    except _Stop:
        return ScaleReport(time.perf_counter() - began, False, end, budget.used)
    return ScaleReport(time.perf_counter() - began, True, end, budget.used)


def _first_undone(count: int, done: Callable[[int], bool]) -> int:
    """The first of ``count`` chunks that ``done`` says is not written: chunks commit in
    order, so a binary search finds it."""
    low, high = 0, count
    while low < high:
        middle = (low + high) // 2
        if done(middle):
            low = middle + 1
        else:
            high = middle
    return low


def _exists(c: Connection, table: Table, row_id: str) -> bool:
    return c.execute(select(table.c.id).where(table.c.id == row_id)).first() is not None


def _customers(
    gh: Gatehouse,
    scale: Scale,
    sellers: list[WorldRecipient],
    start: datetime,
    budget: _Budget,
    report: Progress,
    part: Part,
) -> list[Customer]:
    span = timedelta(days=_SIGNUP_DAYS)
    size = scale.subject_chunk
    chunks = -(-scale.subjects // size)

    def last_owned(chunk: int) -> str | None:
        # The part's last customer in this chunk or, if it owns none there, in an earlier one.
        for index in range(min(scale.subjects, (chunk + 1) * size) - 1, -1, -1):
            if part.owns(subject_id := customer_id(scale.seed, index)):
                return subject_id
        return None

    with gh.engine.connect() as c:
        first = _first_undone(
            chunks, lambda k: (last := last_owned(k)) is None or _exists(c, subjects, last)
        )
        done = min(scale.subjects, first * size)
        customers = reload_customers(gh, c, scale, len(sellers), done, start, span, part)
    report("customers", done, scale.subjects)
    for chunk in range(first, chunks):
        with gh.engine.begin() as c:
            book = ShardBook(c)
            rows = BulkRows()
            customers += write_customers(gh, rows, book, chunk, scale, sellers, start, span, part)
            write_rows(c, rows)
            book.save(c, start + span)
        report("customers", len(customers), scale.subjects)
        budget.spend()
    return customers


def _orders(
    gh: Gatehouse,
    scale: Scale,
    customers: list[Customer],
    sellers: list[WorldRecipient],
    world: list[WorldRecipient],
    start: datetime,
    end: datetime,
    budget: _Budget,
    report: Progress,
    owner: Part,
) -> None:
    pack = gh.packs.for_country("KR")
    sizes = slice_sizes(scale.transfers, scale.slices)
    opens = start + timedelta(days=_SIGNUP_DAYS)
    width = (end - opens) / scale.slices

    def piece(number: int) -> Slice:
        first = sum(sizes[:number])
        start = opens + width * number
        return Slice(number, first, sizes[number], start, start + width)

    def last_owned(number: int) -> str | None:
        # The part's last order in this slice or, if it owns none there, in an earlier one.
        for k in range(number, -1, -1):
            picks = slice_picks(piece(k), customers, sellers, world, scale.seed)
            owned = [p.number for p in picks if owner.owns(p.customer.id)]
            if owned:
                return stable_id("ord", scale.seed, owned[-1])
        return None

    with gh.engine.connect() as c:
        skipped = _first_undone(
            len(sizes), lambda k: (last := last_owned(k)) is None or _exists(c, orders, last)
        )
        # What earlier slices left waiting: their orders' events at or after this slice.
        since = opens + width * skipped
        backlog = Backlog.from_rows(c, since, owner.owns) if skipped else Backlog()
    first = sum(sizes[:skipped])
    report("orders", first, scale.transfers)
    for number in range(skipped, len(sizes)):
        size = sizes[number]
        part = piece(number)
        with gh.engine.begin() as c:
            book = ShardBook(c)
            rows = BulkRows()
            write_slice(rows, part, pack, customers, sellers, world, end, scale.seed, owner)
            backlog.add(part.events)
            # The last slice appends everything: no event is later than the history's end.
            backlog.release(rows, book, None if number == len(sizes) - 1 else part.end)
            write_rows(c, rows)
            add_totals(c, part.totals)
            add_windows(c, part.windows)
            add_decisions(c, part.decisions)
            book.save(c, part.end)
        first += size
        report("orders", first, scale.transfers)
        budget.spend()


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows in each table the generator fills."""
    from gatehouse.store import tables as t
    from gatehouse.store.summary_tables import transfer_totals, view_windows

    counted: list[Table] = [
        t.recipients, t.api_keys, t.subjects, t.pii_fields, t.blind_indexes, t.notices,
        t.consents, t.orders, t.order_events, t.transfers, t.views, t.safe_numbers,
        transfer_totals, view_windows, ledger_entries,
    ]  # fmt: skip
    with engine.connect() as c:
        return {table.name: _count(c, table) for table in counted}


def database_bytes(engine: Engine) -> int:
    """The database's size on disk: ``pg_database_size`` on PostgreSQL, the files on SQLite."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as c:
            return int(c.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
    path = engine.url.database or ""
    return sum(
        os.path.getsize(path + suffix)
        for suffix in ("", "-wal", "-shm")
        if path and os.path.exists(path + suffix)
    )
