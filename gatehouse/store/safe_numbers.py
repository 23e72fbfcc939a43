"""The safe-number pool: 0505 numbers leased to views, rested after release before reuse."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache

from sqlalchemy import Connection, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from gatehouse.store.tables import safe_numbers

__all__ = ["SafeNumberPool"]


@cache
def _fresh_lease(dialect: str) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING into the pool, built once per dialect."""
    module = postgresql if dialect == "postgresql" else sqlite
    # RETURNING says which rows went in: an insert's rowcount is not reliable on every
    # driver, and of many rows some may clash.
    statement: Insert = (
        module.insert(safe_numbers)
        .on_conflict_do_nothing(index_elements=[safe_numbers.c.number])
        .returning(safe_numbers.c.number, safe_numbers.c.transfer_id)
    )
    return statement


class SafeNumberPool:
    """Leases 0505 safe numbers; a released number rests for a cool-down before reuse."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def lease_many(self, wanted: Mapping[str, Sequence[str]], at: datetime) -> dict[str, str]:
        """Lease a number to each transfer in ``wanted`` (transfer id -> candidates), by
        transfer id; a transfer left out found every candidate taken.

        Each transfer's first candidate is tried for all of them in one statement; the few
        that clash (with the pool or with each other) go on through :meth:`lease`.
        """
        first = [
            {"number": candidates[0], "transfer_id": transfer_id, "leased_at": at}
            for transfer_id, candidates in wanted.items()
            if candidates
        ]
        leased: dict[str, str] = {}
        if first:
            rows = self._c.execute(_fresh_lease(self._c.dialect.name), first)
            leased = {row.transfer_id: row.number for row in rows}
        for transfer_id, candidates in wanted.items():
            if transfer_id not in leased:
                number = self.lease(candidates, transfer_id, at)
                if number is not None:
                    leased[transfer_id] = number
        return leased

    def lease(self, candidates: Sequence[str], transfer_id: str, at: datetime) -> str | None:
        """Lease the first free candidate to ``transfer_id``; None when all are taken."""
        fresh = _fresh_lease(self._c.dialect.name)
        for number in candidates:
            # A fresh number is the common case, so it is tried before reuse; a clash inserts
            # nothing rather than failing, so it needs no savepoint on PostgreSQL.
            leased = self._c.execute(
                fresh, {"number": number, "transfer_id": transfer_id, "leased_at": at}
            )
            if leased.first() is not None:
                return number
            reused = self._c.execute(
                update(safe_numbers)
                .where(
                    safe_numbers.c.number == number,
                    safe_numbers.c.released_at.is_not(None),
                    or_(
                        safe_numbers.c.reusable_after.is_(None),
                        safe_numbers.c.reusable_after <= at,
                    ),
                )
                .values(
                    transfer_id=transfer_id, leased_at=at, released_at=None, reusable_after=None
                )
            )
            if reused.rowcount == 1:
                return number
        return None

    def release_many(
        self, transfer_ids: Sequence[str], at: datetime, reusable_after: datetime
    ) -> None:
        """Return the numbers of several transfers to the pool, in one statement."""
        if not transfer_ids:
            return
        self._c.execute(
            update(safe_numbers)
            .where(
                safe_numbers.c.transfer_id.in_(list(transfer_ids)),
                safe_numbers.c.released_at.is_(None),
            )
            .values(released_at=at, reusable_after=reusable_after)
        )
