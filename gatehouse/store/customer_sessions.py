"""Rows of the privacy center's sign-in links and the cookie sessions opened from them.

Only the SHA-256 of each token is stored. The writes that must hold under concurrency are
conditional updates: a link is spent only while it is unspent, and a session's idle expiry
slides only while it is not revoked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from gatehouse.store.customer_tables import customer_sessions

__all__ = ["CustomerSession", "CustomerSessionRepository"]


@dataclass(frozen=True)
class CustomerSession:
    """A sign-in link (``kind`` "link") or a cookie session (``kind`` "cookie")."""

    id: str
    subject_id: str
    kind: str
    token_hash: str
    created_at: datetime
    expires_at: datetime
    # The link a cookie session was opened from; None for a link.
    link_id: str | None = None
    # A cookie session's idle expiry, which slides with use; None for a link.
    idle_expires_at: datetime | None = None
    # When a link was spent on a cookie session.
    used_at: datetime | None = None
    revoked_at: datetime | None = None


def _to_session(row: Row[Any]) -> CustomerSession:
    return CustomerSession(
        id=row.id,
        subject_id=row.subject_id,
        kind=row.kind,
        token_hash=row.token_hash,
        created_at=row.created_at,
        expires_at=row.expires_at,
        link_id=row.link_id,
        idle_expires_at=row.idle_expires_at,
        used_at=row.used_at,
        revoked_at=row.revoked_at,
    )


class CustomerSessionRepository:
    """Stores, finds, spends, slides and revokes customer sessions on one connection."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, session: CustomerSession) -> None:
        """Store a new link or cookie session."""
        self._c.execute(
            insert(customer_sessions).values(
                id=session.id,
                subject_id=session.subject_id,
                kind=session.kind,
                token_hash=session.token_hash,
                link_id=session.link_id,
                created_at=session.created_at,
                expires_at=session.expires_at,
                idle_expires_at=session.idle_expires_at,
                used_at=session.used_at,
                revoked_at=session.revoked_at,
            )
        )

    def find(self, token_hash: str) -> CustomerSession | None:
        """The link or session with this token hash, whatever its state."""
        row = self._c.execute(
            select(customer_sessions).where(customer_sessions.c.token_hash == token_hash)
        ).first()
        return None if row is None else _to_session(row)

    def spend(self, session_id: str, at: datetime) -> bool:
        """Mark a link used; False when it was used already, by this or a concurrent request.

        The condition on ``used_at`` makes two concurrent spends succeed only once.
        """
        result = self._c.execute(
            update(customer_sessions)
            .where(customer_sessions.c.id == session_id, customer_sessions.c.used_at.is_(None))
            .values(used_at=at)
        )
        return result.rowcount == 1

    def slide(self, session_id: str, idle_expires_at: datetime) -> bool:
        """Move a live session's idle expiry; False when it was revoked meanwhile."""
        result = self._c.execute(
            update(customer_sessions)
            .where(customer_sessions.c.id == session_id, customer_sessions.c.revoked_at.is_(None))
            .values(idle_expires_at=idle_expires_at)
        )
        return result.rowcount == 1

    def revoke(self, token_hash: str, at: datetime) -> bool:
        """Revoke the link or session with this hash; False when unknown or revoked already."""
        result = self._c.execute(
            update(customer_sessions)
            .where(
                customer_sessions.c.token_hash == token_hash,
                customer_sessions.c.revoked_at.is_(None),
            )
            .values(revoked_at=at)
        )
        return result.rowcount == 1

    def revoke_subject(self, subject_id: str, at: datetime) -> int:
        """Revoke every link and session of a subject still live at ``at``; returns how many."""
        result = self._c.execute(
            update(customer_sessions)
            .where(
                customer_sessions.c.subject_id == subject_id,
                customer_sessions.c.revoked_at.is_(None),
                customer_sessions.c.expires_at > at,
            )
            .values(revoked_at=at)
        )
        return int(result.rowcount)

    def purge_expired(self, now: datetime) -> int:
        """Delete the links and sessions that expired by ``now``; returns how many."""
        result = self._c.execute(
            delete(customer_sessions).where(customer_sessions.c.expires_at <= now)
        )
        return int(result.rowcount)
