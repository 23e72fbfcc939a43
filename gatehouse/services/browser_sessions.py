"""Browser sessions: server-side, stored hashed, eight hours long, revocable.

A browser holds a random token in an HttpOnly cookie; the database holds only its SHA-256,
so a copy of the database signs no one in. Forms carry a CSRF token derived from the session
token with HMAC under a per-site label: it is tied to the session, needs no storage, and
cannot be computed from anything the database holds.

The recipient portal and the operator console open their sessions with an API key
(:data:`PORTAL`, :data:`CONSOLE`), and revoking the key ends them. The token primitives
(:func:`new_token`, :func:`token_hash`, :func:`csrf_token_for`, :func:`tokens_match`) are
shared with any other browser session, such as the privacy center's customer sessions.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from gatehouse.domain.errors import Unauthorized
from gatehouse.services.access import Audience, Principal, authenticate
from gatehouse.services.ports import BrowserSessions
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.unit_of_work import UnitOfWork
from gatehouse.store.browser_sessions import SessionTable

__all__ = [
    "SESSION_LIFETIME",
    "MAX_TOKEN_CHARS",
    "SessionAudience",
    "PORTAL",
    "CONSOLE",
    "BrowserSession",
    "new_token",
    "token_hash",
    "csrf_token_for",
    "tokens_match",
    "new_form_nonce",
    "nonces_match",
    "principal_for_key",
    "start_session",
    "find_session",
    "end_session",
    "purge_expired",
]

SESSION_LIFETIME = timedelta(hours=8)
# Tokens are 43 characters; anything much longer is not ours and is not worth hashing.
MAX_TOKEN_CHARS = 128


@dataclass(frozen=True)
class SessionAudience:
    """Who signs in to a site with an API key: the key's audience, the table, the CSRF label."""

    table: SessionTable
    key_audience: Audience
    csrf_label: bytes


PORTAL = SessionAudience("portal", Audience.RECIPIENT, b"gatehouse portal csrf v1")
CONSOLE = SessionAudience("console", Audience.OPERATOR, b"gatehouse console csrf v1")


@dataclass(frozen=True)
class BrowserSession:
    """A signed-in key holder, as one request sees it; portal sessions name their recipient."""

    key_id: str
    recipient_id: str | None
    expires_at: datetime
    csrf_token: str

    @property
    def recipient(self) -> str:
        """The recipient a portal session speaks for; a console session has none."""
        if self.recipient_id is None:
            raise LookupError("this session speaks for no recipient")
        return self.recipient_id


def new_token() -> str:
    """A new 256-bit random token, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str | None) -> str | None:
    """The SHA-256 (hex) a token is stored as; None for an empty or over-long token.

    Tokens are 256-bit random, so a plain SHA-256 is enough: there is nothing to brute-force.
    """
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token_for(token: str, label: bytes) -> str:
    """The CSRF token of a session: HMAC-SHA256 keyed by the session token over ``label``."""
    return hmac.new(token.encode(), label, hashlib.sha256).hexdigest()


def tokens_match(expected: str, submitted: str | None) -> bool:
    """Whether a submitted token is the expected one, compared in constant time."""
    if not expected or not submitted or len(submitted) > MAX_TOKEN_CHARS:
        return False
    # Bytes, because compare_digest refuses non-ASCII text instead of answering False.
    return hmac.compare_digest(expected.encode(), submitted.encode())


def new_form_nonce() -> str:
    """A random value for the sign-in form, sent both as a cookie and as a hidden field.

    There is no session yet to tie a CSRF token to, so the form proves it came from our own
    page by echoing the cookie (double submit); another site can set neither.
    """
    return secrets.token_urlsafe(24)


def nonces_match(cookie_value: str | None, submitted: str | None) -> bool:
    """Whether the sign-in form echoed its cookie (compared in constant time)."""
    return tokens_match(cookie_value or "", submitted)


def _sessions(uow: UnitOfWork, audience: SessionAudience) -> BrowserSessions:
    return uow.portal_sessions if audience.table == "portal" else uow.console_sessions


def principal_for_key(gh: Gatehouse, api_key: str, audience: Audience) -> Principal | None:
    """The principal behind a typed-in key, or None for an unknown, revoked or other
    audience's key: a sign-in form gives all three the same answer."""
    try:
        principal = authenticate(gh, api_key.strip())
    except Unauthorized:
        return None
    return principal if principal.audience is audience else None


def start_session(
    gh: Gatehouse, audience: SessionAudience, principal: Principal
) -> tuple[str, BrowserSession]:
    """Open a session for an authenticated key; return the cookie token and the session."""
    if principal.audience is not audience.key_audience:
        raise ValueError(f"a {principal.audience.value} key opens no {audience.table} session")
    recipient_id = principal.recipient_id if audience.key_audience is Audience.RECIPIENT else None
    now = gh.clock()
    token = new_token()
    digest = token_hash(token)
    assert digest is not None
    expires_at = now + SESSION_LIFETIME
    with gh.unit_of_work() as uow:
        repo = _sessions(uow, audience)
        # Sign-ins are rare, so this is a cheap moment to forget sessions that can never return.
        repo.purge_expired(now)
        repo.add(
            token_hash=digest,
            key_id=principal.key_id,
            recipient_id=recipient_id,
            created_at=now,
            expires_at=expires_at,
        )
    csrf = csrf_token_for(token, audience.csrf_label)
    return token, BrowserSession(principal.key_id, recipient_id, expires_at, csrf)


def find_session(
    gh: Gatehouse, audience: SessionAudience, token: str | None
) -> BrowserSession | None:
    """The live session behind a cookie token, or None when it is unknown, ended or expired.

    A session also ends when the API key it was opened with is revoked, so rotating a leaked
    key signs its holder out too.
    """
    digest = token_hash(token)
    if digest is None:
        return None
    assert token is not None
    with gh.unit_of_work(read_only=True) as uow:
        row = _sessions(uow, audience).find(digest)
    if row is None or row.revoked_at is not None or row.key_revoked_at is not None:
        return None
    if row.key_audience != audience.key_audience.value or row.key_recipient_id != row.recipient_id:
        return None
    if row.expires_at <= gh.clock():
        return None
    csrf = csrf_token_for(token, audience.csrf_label)
    return BrowserSession(row.key_id, row.recipient_id, row.expires_at, csrf)


def end_session(gh: Gatehouse, audience: SessionAudience, token: str | None) -> bool:
    """Sign out: revoke the session behind ``token``; False when it was unknown or ended."""
    digest = token_hash(token)
    if digest is None:
        return False
    with gh.unit_of_work() as uow:
        return _sessions(uow, audience).revoke(digest, gh.clock())


def purge_expired(gh: Gatehouse, audience: SessionAudience) -> int:
    """Delete the audience's expired sessions (revoked or not); returns how many."""
    with gh.unit_of_work() as uow:
        return _sessions(uow, audience).purge_expired(gh.clock())
