"""Kept audit days (``audit_days``) and settled months (``audit_months``), and the two reads
of the ledger that keep them honest: the earliest stamp among the entries a new checkpoint
covers, and whether any entry after the latest checkpoint is stamped inside a window."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Connection, delete, func, insert, select

from gatehouse.ledger import format_at, parse_at
from gatehouse.store.ledger_tables import (
    audit_days,
    audit_month_pages,
    audit_months,
    ledger_entries,
)

__all__ = ["KeptDay", "KeptDayRepository", "KeptMonth"]

_days = audit_days.c
_months = audit_months.c
_pages = audit_month_pages.c
_entries = ledger_entries.c
# One number for the advisory lock that orders keeping a day against signing a checkpoint.
_CHECKPOINT_LOCK = 0x6761_7465_6864_6179


@dataclass(frozen=True)
class KeptDay:
    """One kept day: its fold's JSON text, the checkpoint it was verified against, and the
    ledger key's signature."""

    day: date
    checkpoint_sequence: int
    checkpoint_digest: str
    state: str
    signature: str


@dataclass(frozen=True)
class KeptMonth:
    """One settled month (``month`` is its first day): its settled audit's JSON text, the
    checkpoint its days were read under, and the ledger key's signature."""

    month: date
    checkpoint_sequence: int
    checkpoint_digest: str
    state: str
    signature: str


def _month_key(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


class KeptDayRepository:
    """The kept days and settled months, on the caller's connection and transaction."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def lock(self) -> None:
        """Hold, until the transaction ends, the lock that keeping a day and signing a
        checkpoint both take on PostgreSQL (SQLite's one writer already orders them)."""
        if self._c.dialect.name == "postgresql":
            self._c.execute(select(func.pg_advisory_xact_lock(_CHECKPOINT_LOCK)))

    def latest_day(self) -> date | None:
        """The last day kept, if any."""
        found = self._c.execute(select(func.max(_days.day))).scalar_one_or_none()
        return None if found is None else date.fromisoformat(found)

    def between(self, first: date, last: date) -> list[KeptDay]:
        """The days kept from ``first`` to ``last``, both included, by day."""
        rows = self._c.execute(
            select(
                _days.day,
                _days.checkpoint_sequence,
                _days.checkpoint_digest,
                _days.state,
                _days.signature,
            )
            .where(_days.day >= first.isoformat(), _days.day <= last.isoformat())
            .order_by(_days.day)
        ).all()
        return [KeptDay(date.fromisoformat(row.day), *row[1:]) for row in rows]

    def add(self, kept: KeptDay, at: datetime) -> None:
        """Keep one day."""
        self._c.execute(
            insert(audit_days).values(
                day=kept.day.isoformat(),
                checkpoint_sequence=kept.checkpoint_sequence,
                checkpoint_digest=kept.checkpoint_digest,
                state=kept.state,
                signature=kept.signature,
                kept_at=at,
            )
        )

    def drop_from(self, first: date) -> int:
        """Drop every day kept from ``first`` on, to be folded again, and every month settled
        from ``first``'s on; how many days were kept."""
        self._c.execute(delete(audit_month_pages).where(_pages.month >= _month_key(first)))
        self._c.execute(delete(audit_months).where(_months.month >= _month_key(first)))
        result = self._c.execute(delete(audit_days).where(_days.day >= first.isoformat()))
        return int(result.rowcount or 0)

    def earliest_day(self) -> date | None:
        """The first day kept, if any."""
        found = self._c.execute(select(func.min(_days.day))).scalar_one_or_none()
        return None if found is None else date.fromisoformat(found)

    def latest_month(self) -> date | None:
        """The first day of the last month settled, if any."""
        found = self._c.execute(select(func.max(_months.month))).scalar_one_or_none()
        return None if found is None else date.fromisoformat(f"{found}-01")

    def month(self, month: date) -> KeptMonth | None:
        """The settled month that ``month`` begins, if it is kept."""
        row = self._c.execute(
            select(
                _months.checkpoint_sequence,
                _months.checkpoint_digest,
                _months.state,
                _months.signature,
            ).where(_months.month == _month_key(month))
        ).one_or_none()
        return None if row is None else KeptMonth(month, *row)

    def month_pages(self, month: date, pages: int | None) -> dict[tuple[str, int], str]:
        """The first ``pages`` pages (all when None) of each listing of a settled month,
        by (finding, page), read by their key."""
        query = select(_pages.finding, _pages.page, _pages.rows).where(
            _pages.month == _month_key(month)
        )
        if pages is not None:
            query = query.where(_pages.page < pages)
        return {(row.finding, row.page): row.rows for row in self._c.execute(query)}

    def add_month(
        self, kept: KeptMonth, pages: Sequence[tuple[str, int, str]], at: datetime
    ) -> None:
        """Keep one settled month, and its listings' pages."""
        if pages:
            self._c.execute(
                insert(audit_month_pages),
                [
                    {"month": _month_key(kept.month), "finding": key, "page": n, "rows": rows}
                    for key, n, rows in pages
                ],
            )
        self._c.execute(
            insert(audit_months).values(
                month=_month_key(kept.month),
                checkpoint_sequence=kept.checkpoint_sequence,
                checkpoint_digest=kept.checkpoint_digest,
                state=kept.state,
                signature=kept.signature,
                kept_at=at,
            )
        )

    def earliest_stamp(self, shard: int, low: int, high: int) -> datetime | None:
        """The earliest stamp among the shard's entries ``low <= seq < high``, read by their
        key: a checkpoint asks it of the entries it newly covers."""
        found = self._c.execute(
            select(func.min(_entries.at)).where(
                _entries.shard == shard, _entries.seq >= low, _entries.seq < high
            )
        ).scalar_one_or_none()
        return None if found is None else _parsed(found)

    def first_stamp(self, shard: int) -> datetime | None:
        """The earliest stamp in the shard's hot rows, read from the (shard, at) index."""
        found = self._c.execute(
            select(func.min(_entries.at)).where(_entries.shard == shard)
        ).scalar_one_or_none()
        return None if found is None else _parsed(found)

    def stamped_after(self, shard: int, size: int, start: datetime, end: datetime) -> bool:
        """Whether an entry of the shard from position ``size`` on (those a checkpoint of
        that size does not cover) is stamped in ``[start, end)``; they are read by their key,
        never by the window, so the cost is theirs alone."""
        low, high = format_at(start), format_at(end)
        stamps = self._c.execute(
            select(_entries.at).where(_entries.shard == shard, _entries.seq >= size)
        ).scalars()
        return any(low <= stamp < high for stamp in stamps)


def _parsed(stamp: str) -> datetime:
    try:
        return parse_at(stamp)
    except (TypeError, ValueError):
        # An edited stamp that no longer parses: the verifier names the entry; here it
        # counts as the earliest possible, so every kept day is folded again.
        return datetime.min.replace(tzinfo=UTC)
