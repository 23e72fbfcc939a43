"""Keeping the pages' totals, in the caller's transaction.

Each decision adds one to its row of ``decision_counts`` (the console's), and each allowed
transfer one to its group in ``transfer_totals`` (the privacy center's); each view that opens
widens its recipient's row in ``view_windows``. Many decisions at once (a batch, a group
commit) are summed by row first and written with one upsert a table; and each view that closes
or has its expiry moved recomputes that one (subject, recipient) row from the pair's own views.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Connection, Table, and_, func, or_, select, update

from gatehouse.ledger import shard_for
from gatehouse.store.driver_rows import DriverStatement, stamp
from gatehouse.store.summary_tables import (
    DECISION_SLOTS,
    decision_counts,
    transfer_totals,
    view_windows,
)
from gatehouse.store.tables import views

__all__ = [
    "DecisionKey",
    "TotalKey",
    "count_decisions",
    "count_transfers",
    "items_text",
    "recompute_windows",
    "total_key",
    "widen_windows",
]


def items_text(fields: Sequence[str]) -> str:
    """A fields list as its key in ``transfer_totals``: the JSON text stored for the list."""
    return json.dumps(list(fields))


def _greatest(dialect: str) -> str:
    # SQLite's two-argument max() is its greatest().
    return "greatest" if dialect == "postgresql" else "max"


def _upsert(
    table: Table, columns: tuple[str, ...], key: tuple[str, ...], sets: str
) -> DriverStatement:
    """INSERT ... ON CONFLICT (key) DO UPDATE SET ..., in the driver's SQL; ``sets`` names the
    dialect's greatest() as ``{greatest}``. The rows go to the driver as they are: building and
    binding them through SQLAlchemy cost more than running them, on the transfer's hot path."""
    conflict = f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
    tails = {d: conflict + sets.format(greatest=_greatest(d)) for d in ("sqlite", "postgresql")}
    return DriverStatement(table, columns, tails=tails)


# Each row adds what it carries: many decisions are summed by row first, one row a key.
_COUNT_DECISIONS = _upsert(
    decision_counts,
    ("allowed", "country", "refusal", "slot", "decisions"),
    ("allowed", "country", "refusal", "slot"),
    "decisions = decision_counts.decisions + excluded.decisions",
)
_COUNT_TRANSFERS = _upsert(
    transfer_totals,
    ("subject_id", "recipient_id", "country", "purpose", "basis", "items", "transfers", "last_at"),
    ("subject_id", "recipient_id", "country", "purpose", "basis", "items"),
    "transfers = transfer_totals.transfers + excluded.transfers,"
    " last_at = {greatest}(transfer_totals.last_at, excluded.last_at)",
)
_WIDEN_WINDOWS = _upsert(
    view_windows,
    ("subject_id", "recipient_id", "until"),
    ("subject_id", "recipient_id"),
    "until = {greatest}(view_windows.until, excluded.until)",
)


DecisionKey = tuple[str, bool, str | None, str | None]
"""A decision as the console counts it: ``(subject_id, allowed, country, refusal)``."""


def count_decisions(connection: Connection, decisions: Iterable[DecisionKey]) -> None:
    """Add decisions to the console's counts: one statement however many, a row per key
    (in key order, so concurrent writers take the rows' locks in one order)."""
    counted: Counter[tuple[bool, str, str, int]] = Counter()
    for subject_id, allowed, country, refusal in decisions:
        counted[(allowed, country or "", refusal or "", shard_for(subject_id, DECISION_SLOTS))] += 1
    rows = [(*key, n) for key, n in sorted(counted.items())]
    _COUNT_DECISIONS.run(connection, rows)


TotalKey = tuple[str, str, str, str, str, str]
"""An allowed transfer's group: subject, recipient, country, purpose, basis and items text."""


def count_transfers(connection: Connection, allowed: Iterable[tuple[TotalKey, datetime]]) -> None:
    """Add allowed transfers, each ``(group, decided_at)`` (see :func:`total_key`), to their
    groups: one statement however many, a row per group, in key order."""
    groups: dict[TotalKey, tuple[int, datetime]] = {}
    for key, decided_at in allowed:
        count, last_at = groups.get(key, (0, decided_at))
        groups[key] = (count + 1, max(last_at, decided_at))
    at = stamp(connection)
    rows = [(*key, count, at(last_at)) for key, (count, last_at) in sorted(groups.items())]
    _COUNT_TRANSFERS.run(connection, rows)


def total_key(
    *,
    subject_id: str,
    recipient_id: str,
    country: str | None,
    purpose: str,
    basis: str | None,
    fields: Sequence[str],
) -> TotalKey:
    """The group in ``transfer_totals`` an allowed transfer counts in."""
    return (subject_id, recipient_id, country or "", purpose, basis or "", items_text(fields))


def widen_windows(connection: Connection, opened: Iterable[tuple[str, str, datetime]]) -> None:
    """Views opened, each ``(subject_id, recipient_id, expires_at)``: each pair's window
    reaches at least its latest expiry. One statement however many, a row per pair."""
    until: dict[tuple[str, str], datetime] = {}
    for subject_id, recipient_id, expires_at in opened:
        pair = (subject_id, recipient_id)
        known = until.get(pair)
        until[pair] = expires_at if known is None else max(known, expires_at)
    at = stamp(connection)
    _WIDEN_WINDOWS.run(connection, [(*pair, at(when)) for pair, when in sorted(until.items())])


def recompute_windows(connection: Connection, pairs: Iterable[tuple[str, str]]) -> None:
    """The window of each (subject, recipient) in ``pairs``, from that pair's views: a closing
    or a moved expiry may shorten it, which no running maximum can follow. One statement
    however many pairs, each reached by the primary key."""
    by_subject: dict[str, set[str]] = {}
    for subject_id, recipient_id in pairs:
        by_subject.setdefault(subject_id, set()).add(recipient_id)
    if not by_subject:
        return
    latest = (
        select(func.max(func.coalesce(views.c.closed_at, views.c.expires_at)))
        .where(
            views.c.subject_id == view_windows.c.subject_id,
            views.c.recipient_id == view_windows.c.recipient_id,
        )
        .scalar_subquery()
    )
    # The pairs as values, grouped by subject: a condition on the key, which a subquery over
    # the views (IN or a join) is not, so the planner may read every window.
    matches = [
        and_(view_windows.c.subject_id == subject_id, view_windows.c.recipient_id.in_(sorted(rs)))
        for subject_id, rs in sorted(by_subject.items())
    ]
    connection.execute(update(view_windows).where(or_(*matches)).values(until=latest))
