"""The safe-number pool: 0505 numbers leased to views, rested after release before reuse."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from gatehouse.store.tables import safe_numbers

__all__ = ["SafeNumberPool"]


def _fresh_lease(dialect: str) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING into the pool, built once per dialect."""
    statement = _FRESH_LEASES.get(dialect)
    if statement is None:
        module = postgresql if dialect == "postgresql" else sqlite
        # RETURNING says whether a row went in: an insert's rowcount is not reliable on
        # every driver.
        statement = (
            module.insert(safe_numbers)
            .on_conflict_do_nothing(index_elements=[safe_numbers.c.number])
            .returning(safe_numbers.c.number)
        )
        _FRESH_LEASES[dialect] = statement
    return statement


_FRESH_LEASES: dict[str, Insert] = {}


class SafeNumberPool:
    """Leases 0505 safe numbers; a released number rests for a cool-down before reuse."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

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
