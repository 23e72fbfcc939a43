"""Keeping the pages' totals, in the caller's transaction.

Each decision adds one to its row of ``decision_counts`` (the console's), and each allowed
transfer one to its group in ``transfer_totals`` (the privacy center's), with one upsert each;
each view that opens widens its recipient's row in ``view_windows``, and each view that closes
or has its expiry moved recomputes that one (subject, recipient) row from the pair's own views.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from gatehouse.ledger import shard_for
from gatehouse.store.summary_tables import (
    DECISION_SLOTS,
    decision_counts,
    transfer_totals,
    view_windows,
)
from gatehouse.store.tables import views

__all__ = [
    "count_decision",
    "count_transfer",
    "items_text",
    "recompute_windows",
    "widen_window",
]


def items_text(fields: Sequence[str]) -> str:
    """A fields list as its key in ``transfer_totals``: the JSON text stored for the list."""
    return json.dumps(list(fields))


def _insert(dialect: str, table: Any) -> Any:
    """The dialect's own INSERT, which has ON CONFLICT."""
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def _greatest(dialect: str, a: Any, b: Any) -> Any:
    # SQLite's two-argument max() is its greatest().
    return func.greatest(a, b) if dialect == "postgresql" else func.max(a, b)


@cache
def _count_decision(dialect: str) -> Any:
    counts = _insert(dialect, decision_counts)
    return counts.on_conflict_do_update(
        index_elements=[c.name for c in decision_counts.primary_key.columns],
        set_={"decisions": decision_counts.c.decisions + 1},
    )


def count_decision(
    connection: Connection,
    *,
    subject_id: str,
    allowed: bool,
    country: str | None,
    refusal: str | None,
) -> None:
    """Add one decision to the console's counts: one statement."""
    connection.execute(
        _count_decision(connection.dialect.name),
        {
            "allowed": allowed,
            "country": country or "",
            "refusal": refusal or "",
            "slot": shard_for(subject_id, DECISION_SLOTS),
            "decisions": 1,
        },
    )


@cache
def _upserts(dialect: str) -> tuple[Any, Any]:
    """The two upserts, built once per dialect: building one (its ``excluded`` above all) cost
    more than running it, on the transfer's hot path. Each runs with its row as parameters."""
    totals = _insert(dialect, transfer_totals)
    count = totals.on_conflict_do_update(
        index_elements=[c.name for c in transfer_totals.primary_key.columns],
        set_={
            "transfers": transfer_totals.c.transfers + 1,
            "last_at": _greatest(dialect, transfer_totals.c.last_at, totals.excluded.last_at),
        },
    )
    windows = _insert(dialect, view_windows)
    widen = windows.on_conflict_do_update(
        index_elements=["subject_id", "recipient_id"],
        set_={"until": _greatest(dialect, view_windows.c.until, windows.excluded.until)},
    )
    return count, widen


def count_transfer(
    connection: Connection,
    *,
    subject_id: str,
    recipient_id: str,
    country: str | None,
    purpose: str,
    basis: str | None,
    fields: Sequence[str],
    decided_at: datetime,
) -> None:
    """Add one allowed transfer to its group: one statement."""
    connection.execute(
        _upserts(connection.dialect.name)[0],
        {
            "subject_id": subject_id,
            "recipient_id": recipient_id,
            "country": country or "",
            "purpose": purpose,
            "basis": basis or "",
            "items": items_text(fields),
            "transfers": 1,
            "last_at": decided_at,
        },
    )


def widen_window(
    connection: Connection, *, subject_id: str, recipient_id: str, expires_at: datetime
) -> None:
    """A view opened until ``expires_at``: its recipient's window reaches at least that far."""
    connection.execute(
        _upserts(connection.dialect.name)[1],
        {"subject_id": subject_id, "recipient_id": recipient_id, "until": expires_at},
    )


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
