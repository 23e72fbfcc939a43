"""Abuse flags: recipients whose read patterns looked like scraping."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select

from gatehouse.store.tables import abuse_flags

__all__ = ["AbuseFlag", "AbuseFlagRepository"]


@dataclass(frozen=True)
class AbuseFlag:
    """One flag raised against a recipient, with what was counted."""

    recipient_id: str
    kind: str
    detail: Mapping[str, Any]
    at: datetime


class AbuseFlagRepository:
    """Raises and lists abuse flags on one connection."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def count_since(self, recipient_id: str, kind: str, since: datetime) -> int:
        """How many flags of ``kind`` the recipient got at or after ``since``."""
        query = (
            select(func.count())
            .select_from(abuse_flags)
            .where(
                abuse_flags.c.recipient_id == recipient_id,
                abuse_flags.c.kind == kind,
                abuse_flags.c.at >= since,
            )
        )
        return int(self._c.execute(query).scalar_one())

    def add(self, recipient_id: str, kind: str, detail: Mapping[str, Any], at: datetime) -> None:
        """Raise a flag."""
        self._c.execute(
            insert(abuse_flags).values(
                recipient_id=recipient_id, kind=kind, detail=dict(detail), at=at
            )
        )

    def recent(self, recipient_id: str | None, limit: int) -> list[AbuseFlag]:
        """The newest flags, of one recipient or of all."""
        query = select(abuse_flags).order_by(abuse_flags.c.id.desc()).limit(limit)
        if recipient_id:
            query = query.where(abuse_flags.c.recipient_id == recipient_id)
        return [
            AbuseFlag(row.recipient_id, row.kind, dict(row.detail), row.at)
            for row in self._c.execute(query)
        ]
