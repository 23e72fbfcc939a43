"""Rows of the key-backed browser sessions: the recipient portal's and the console's.

Both tables hold only the SHA-256 of a session's cookie token and the API key it was opened
with; the portal's also names the recipient. One repository serves both, picked by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, Table, delete, insert, select, update

from gatehouse.store.tables import api_keys
from gatehouse.store.web_tables import console_sessions, portal_sessions

__all__ = ["SessionTable", "StoredSession", "BrowserSessionRepository"]

SessionTable = Literal["portal", "console"]

_TABLES: dict[str, Table] = {"portal": portal_sessions, "console": console_sessions}


@dataclass(frozen=True)
class StoredSession:
    """A session row with the standing of its API key, as one lookup finds them."""

    key_id: str
    recipient_id: str | None
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    key_audience: str
    key_recipient_id: str | None
    key_revoked_at: datetime | None


class BrowserSessionRepository:
    """Stores, finds and revokes sessions of one table (``portal`` or ``console``)."""

    def __init__(self, connection: Connection, table: SessionTable) -> None:
        self._c = connection
        self._t = _TABLES[table]
        self._has_recipient = "recipient_id" in self._t.c

    def add(
        self,
        *,
        token_hash: str,
        key_id: str,
        recipient_id: str | None,
        created_at: datetime,
        expires_at: datetime,
    ) -> None:
        """Store a new session; a portal session must name its recipient."""
        values: dict[str, object] = {
            "token_hash": token_hash,
            "key_id": key_id,
            "created_at": created_at,
            "expires_at": expires_at,
        }
        if self._has_recipient:
            if recipient_id is None:
                raise ValueError("a portal session belongs to a recipient")
            values["recipient_id"] = recipient_id
        elif recipient_id is not None:
            raise ValueError("a console session belongs to no recipient")
        self._c.execute(insert(self._t).values(**values))

    def find(self, token_hash: str) -> StoredSession | None:
        """The session with this hash, with its key's standing, whatever its state."""
        t = self._t
        row = self._c.execute(
            select(
                t,
                api_keys.c.audience.label("key_audience"),
                api_keys.c.recipient_id.label("key_recipient_id"),
                api_keys.c.revoked_at.label("key_revoked_at"),
            )
            .join(api_keys, api_keys.c.id == t.c.key_id)
            .where(t.c.token_hash == token_hash)
        ).first()
        if row is None:
            return None
        return StoredSession(
            key_id=row.key_id,
            recipient_id=row.recipient_id if self._has_recipient else None,
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            key_audience=row.key_audience,
            key_recipient_id=row.key_recipient_id,
            key_revoked_at=row.key_revoked_at,
        )

    def revoke(self, token_hash: str, at: datetime) -> bool:
        """Mark a live session revoked; False when it is unknown or was revoked already."""
        result = self._c.execute(
            update(self._t)
            .where(self._t.c.token_hash == token_hash, self._t.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return bool(result.rowcount)

    def purge_expired(self, now: datetime) -> int:
        """Delete the sessions that expired by ``now``; returns how many."""
        result = self._c.execute(delete(self._t).where(self._t.c.expires_at <= now))
        return int(result.rowcount)
