"""Counts of transfers for the operator console's panels, one statement each.

They sum ``decision_counts``, which every decision adds to in its own transaction, so a
panel reads a few hundred rows however many transfers were ever decided.
"""

from __future__ import annotations

from sqlalchemy import Connection, false, func, select, true

from gatehouse.store.summary_tables import decision_counts

__all__ = ["DashboardRepository"]


class DashboardRepository:
    """Aggregates over the transfer decisions."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def refusals_by_reason(self) -> dict[str | None, int]:
        """How many transfers were refused, per refusal code (None when none was recorded)."""
        rows = self._c.execute(
            select(decision_counts.c.refusal, func.sum(decision_counts.c.decisions))
            .where(decision_counts.c.allowed.is_(false()))
            .group_by(decision_counts.c.refusal)
        ).all()
        return {code or None: int(count) for code, count in rows}

    def allowed_by_country(self) -> dict[str | None, int]:
        """How many transfers were allowed, per destination country (None when unknown)."""
        rows = self._c.execute(
            select(decision_counts.c.country, func.sum(decision_counts.c.decisions))
            .where(decision_counts.c.allowed.is_(true()))
            .group_by(decision_counts.c.country)
        ).all()
        return {code or None: int(count) for code, count in rows}
