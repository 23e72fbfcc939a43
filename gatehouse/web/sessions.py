"""Recipient-portal sessions: server-side, stored hashed, eight hours long, revocable.

A browser holds a random token in an HttpOnly cookie; the database holds only its SHA-256,
so a copy of the database signs no one in. Forms carry a CSRF token derived from the session
token with HMAC: it is tied to the session, needs no storage, and cannot be computed from
anything the database holds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update

from gatehouse.domain.errors import Unauthorized
from gatehouse.services.access import Audience, Principal, authenticate
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.tables import api_keys
from gatehouse.store.web_tables import portal_sessions

__all__ = [
    "principal_for_key",
    "SESSION_COOKIE",
    "SESSION_LIFETIME",
    "PortalSession",
    "start_session",
    "find_session",
    "end_session",
    "csrf_matches",
    "new_form_nonce",
    "nonces_match",
]

SESSION_COOKIE = "gh_portal"
SESSION_LIFETIME = timedelta(hours=8)
# Tokens are 43 characters; anything much longer is not ours and is not worth hashing.
_MAX_TOKEN_CHARS = 128
_CSRF_LABEL = b"gatehouse portal csrf v1"


@dataclass(frozen=True)
class PortalSession:
    """A signed-in recipient, as one request sees it."""

    recipient_id: str
    key_id: str
    expires_at: datetime
    csrf_token: str


def _hash(token: str) -> str:
    # Tokens are 256-bit random, so a plain SHA-256 is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


def _csrf_for(token: str) -> str:
    return hmac.new(token.encode(), _CSRF_LABEL, hashlib.sha256).hexdigest()


def start_session(gh: Gatehouse, principal: Principal) -> tuple[str, PortalSession]:
    """Open a session for an authenticated recipient; return the cookie token and the session."""
    assert principal.recipient_id is not None, "only recipient keys open portal sessions"
    now = gh.clock()
    token = secrets.token_urlsafe(32)
    expires_at = now + SESSION_LIFETIME
    with gh.engine.begin() as connection:
        # Sign-ins are rare, so this is a cheap moment to forget sessions that can never return.
        connection.execute(delete(portal_sessions).where(portal_sessions.c.expires_at <= now))
        connection.execute(
            insert(portal_sessions).values(
                token_hash=_hash(token),
                recipient_id=principal.recipient_id,
                key_id=principal.key_id,
                created_at=now,
                expires_at=expires_at,
            )
        )
    session = PortalSession(principal.recipient_id, principal.key_id, expires_at, _csrf_for(token))
    return token, session


def find_session(gh: Gatehouse, token: str | None) -> PortalSession | None:
    """The live session behind a cookie token, or None when it is unknown, ended or expired.

    A session also ends when the API key it was opened with is revoked, so rotating a leaked
    key signs its holder out of the portal too.
    """
    if not token or len(token) > _MAX_TOKEN_CHARS:
        return None
    now = gh.clock()
    with gh.engine.connect() as connection:
        row = connection.execute(
            select(portal_sessions, api_keys.c.revoked_at.label("key_revoked_at"))
            .join(api_keys, api_keys.c.id == portal_sessions.c.key_id)
            .where(
                portal_sessions.c.token_hash == _hash(token),
                api_keys.c.recipient_id == portal_sessions.c.recipient_id,
            )
        ).first()
    if row is None or row.revoked_at is not None or row.key_revoked_at is not None:
        return None
    if row.expires_at <= now:
        return None
    return PortalSession(row.recipient_id, row.key_id, row.expires_at, _csrf_for(token))


def end_session(gh: Gatehouse, token: str | None) -> None:
    """Revoke the session behind ``token``; an unknown or ended one is left as it is."""
    if not token or len(token) > _MAX_TOKEN_CHARS:
        return
    with gh.engine.begin() as connection:
        connection.execute(
            update(portal_sessions)
            .where(
                portal_sessions.c.token_hash == _hash(token),
                portal_sessions.c.revoked_at.is_(None),
            )
            .values(revoked_at=gh.clock())
        )


def csrf_matches(session: PortalSession, submitted: str | None) -> bool:
    """Whether a form's CSRF token is the one of this session (compared in constant time)."""
    if not submitted or len(submitted) > _MAX_TOKEN_CHARS:
        return False
    # Bytes, because compare_digest refuses non-ASCII text instead of answering False.
    return hmac.compare_digest(session.csrf_token.encode(), submitted.encode())


def principal_for_key(gh: Gatehouse, api_key: str, audience: Audience) -> Principal | None:
    """The principal behind a typed-in key, or None for an unknown, revoked or other
    audience's key: a sign-in form gives all three the same answer."""
    try:
        principal = authenticate(gh.engine, api_key.strip())
    except Unauthorized:
        return None
    return principal if principal.audience is audience else None


def new_form_nonce() -> str:
    """A random value for the sign-in form, sent both as a cookie and as a hidden field.

    There is no session yet to tie a CSRF token to, so the form proves it came from our own
    page by echoing the cookie (double submit); another site can set neither.
    """
    return secrets.token_urlsafe(24)


def nonces_match(cookie_value: str | None, submitted: str | None) -> bool:
    """Whether the sign-in form echoed its cookie (compared in constant time)."""
    if not cookie_value or not submitted or len(submitted) > _MAX_TOKEN_CHARS:
        return False
    return hmac.compare_digest(cookie_value.encode(), submitted.encode())
