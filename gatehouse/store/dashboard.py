"""Counts of transfers for the operator console's panels, one statement each."""

from __future__ import annotations

from sqlalchemy import Connection, false, func, select, true

from gatehouse.store.tables import transfers

__all__ = ["DashboardRepository"]


class DashboardRepository:
    """Aggregates over the transfer decisions."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def refusals_by_reason(self) -> dict[str | None, int]:
        """How many transfers were refused, per refusal code (None when none was recorded)."""
        rows = self._c.execute(
            select(transfers.c.refusal, func.count())
            .where(transfers.c.allowed.is_(false()))
            .group_by(transfers.c.refusal)
        ).all()
        return {code: int(count) for code, count in rows}

    def allowed_by_country(self) -> dict[str | None, int]:
        """How many transfers were allowed, per destination country (None when unknown)."""
        rows = self._c.execute(
            select(transfers.c.country, func.count())
            .where(transfers.c.allowed.is_(true()))
            .group_by(transfers.c.country)
        ).all()
        return {code: int(count) for code, count in rows}
