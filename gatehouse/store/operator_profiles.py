"""The operator's profile, versioned and append-only: each change is a new row; the latest rules.

Migration 0013 must match the table. The content is the profile as plain JSON values (see
:func:`gatehouse.domain.operator_profile.profile_content`) with its SHA-256 beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Connection, Integer, String, Table, func, insert, select

from gatehouse.store.db import UTCDateTime
from gatehouse.store.schema import metadata

__all__ = ["StoredProfile", "OperatorProfileRepository", "operator_profiles"]

operator_profiles = Table(
    "operator_profiles",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("content", JSON, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)


@dataclass(frozen=True)
class StoredProfile:
    """One version of the operator's profile."""

    version: int
    content: dict[str, Any]
    content_hash: str
    created_at: datetime


def _stored(row: Any) -> StoredProfile:
    return StoredProfile(row.version, dict(row.content), row.content_hash, row.created_at)


class OperatorProfileRepository:
    """The profile's versions, on one connection."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def latest(self) -> StoredProfile | None:
        """The current profile, or None when none was ever set."""
        row = self._c.execute(
            select(operator_profiles).order_by(operator_profiles.c.version.desc()).limit(1)
        ).first()
        return _stored(row) if row is not None else None

    def versions(self) -> list[StoredProfile]:
        """Every version, oldest first."""
        rows = self._c.execute(select(operator_profiles).order_by(operator_profiles.c.version))
        return [_stored(row) for row in rows]

    def append(self, content: dict[str, Any], content_hash: str, at: datetime) -> StoredProfile:
        """Store a new version after the latest; a concurrent append clashes on the key."""
        last = self._c.execute(select(func.max(operator_profiles.c.version))).scalar()
        version = (last or 0) + 1
        self._c.execute(
            insert(operator_profiles).values(
                version=version, content=content, content_hash=content_hash, created_at=at
            )
        )
        return StoredProfile(version, content, content_hash, at)
