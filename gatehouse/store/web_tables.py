"""Tables of the server-rendered pages, on the shared ``metadata``. Migrations 0005 and 0007
must match."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String, Table

from gatehouse.store.db import UTCDateTime
from gatehouse.store.tables import metadata

__all__ = ["portal_sessions", "console_sessions"]

# One row per recipient-portal sign-in. Only the SHA-256 of the cookie's token is kept, so a
# copy of the database cannot be used to sign in; key_id lets a revoked API key end its sessions.
portal_sessions = Table(
    "portal_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("recipient_id", String(40), ForeignKey("recipients.id"), nullable=False, index=True),
    Column("key_id", String(40), ForeignKey("api_keys.id"), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False, index=True),
    Column("revoked_at", UTCDateTime()),
)

# One row per console sign-in; key_id ties the session to the
# operator key it was opened with, so revoking the key ends the session.
console_sessions = Table(
    "console_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("key_id", String(40), ForeignKey("api_keys.id"), nullable=False, index=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False, index=True),
    Column("revoked_at", UTCDateTime()),
)
