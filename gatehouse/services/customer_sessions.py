"""Customer sessions for the privacy center: a one-time link, then a cookie session.

The operator asks for a link (``POST /v1/subjects/{id}/sessions``) when the customer opens
the privacy center from the marketplace's own signed-in pages. Two ways in follow from it:

- the **browser** follows ``/privacy/enter?token=...``; that page calls :func:`open_link`,
  which spends the link and returns a cookie session (30 minutes idle, 8 hours at most);
- the marketplace's **app** skips the browser and sends the link token itself as
  ``Authorization: Bearer <token>`` to ``/v1/me`` until the link expires (15 minutes).

Opening the link in a browser spends it for both uses: a link that travelled through a URL
may sit in a browser's history, and from then on the cookie is the customer's key.

Tokens are 256-bit random and only their SHA-256 is stored, so a copy of the database signs
no one in. Deleted subjects get no sessions, and deletion revokes the ones they had.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import Connection, delete, insert, select, update

from gatehouse.domain.errors import NotFound, Unauthorized
from gatehouse.domain.ids import new_id
from gatehouse.domain.subjects import Subject
from gatehouse.services.browser_sessions import new_token, token_hash
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.customer_tables import customer_sessions
from gatehouse.store.subjects import SubjectRepository
from gatehouse.vault import KeyShredded

__all__ = [
    "SESSION_COOKIE",
    "COOKIE_PATH",
    "COOKIE_SAMESITE",
    "LINK_LIFETIME",
    "IDLE_TIMEOUT",
    "MAX_LIFETIME",
    "ENTER_PATH",
    "SessionLink",
    "CustomerPrincipal",
    "create_link",
    "open_link",
    "authenticate_customer",
    "end_session",
    "revoke_sessions",
    "customer_subject",
    "belongs_to_erased_subject",
]

SESSION_COOKIE = "gh_session"
# The cookie is always HttpOnly and Secure (see ``gatehouse.http.cookies.set_session_cookie``).
# Path "/" because the same cookie authenticates the /privacy pages and the /v1/me API.
COOKIE_PATH = "/"
# Lax, not Strict: the customer arrives by a link from the marketplace's site or app, and the
# first page after that navigation must already see the cookie. Cross-site POSTs still omit it.
COOKIE_SAMESITE: Final = "lax"
LINK_LIFETIME = timedelta(minutes=15)
IDLE_TIMEOUT = timedelta(minutes=30)
MAX_LIFETIME = timedelta(hours=8)
ENTER_PATH = "/privacy/enter"

_LINK = "link"
_COOKIE = "cookie"
# Sliding the idle expiry costs a write; within this step a request does not need one.
_TOUCH_STEP = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionLink:
    """A new sign-in link: the token is shown once, to the operator that asked for it."""

    token: str
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class CustomerPrincipal:
    """The customer a request speaks for: a subject, through one session or link."""

    subject_id: str
    session_id: str


def _stored_hash(token: str) -> str:
    """The stored hash of a token this module just issued (never over-long)."""
    digest = token_hash(token)
    assert digest is not None
    return digest


def _live_subject(connection: Connection, subject_id: str) -> Subject:
    subject = SubjectRepository(connection).get(subject_id)
    if subject is None:
        raise NotFound(f"no subject with id {subject_id!r}", code="subject_not_found")
    if subject.deleted:
        raise KeyShredded(
            f"subject {subject_id} was erased; it has no privacy center",
            details={"subject_id": subject_id},
        )
    return subject


def create_link(gh: Gatehouse, subject_id: str) -> SessionLink:
    """A single-use sign-in link for a live subject, valid for 15 minutes."""
    now = gh.clock()
    token = new_token()
    expires_at = now + LINK_LIFETIME
    with gh.engine.begin() as connection:
        _live_subject(connection, subject_id)
        # Links are rare, so this is a cheap moment to forget sessions that can never return.
        connection.execute(delete(customer_sessions).where(customer_sessions.c.expires_at <= now))
        connection.execute(
            insert(customer_sessions).values(
                id=new_id("cse"),
                subject_id=subject_id,
                kind=_LINK,
                token_hash=_stored_hash(token),
                created_at=now,
                expires_at=expires_at,
            )
        )
    return SessionLink(token=token, url=f"{ENTER_PATH}?token={token}", expires_at=expires_at)


def open_link(gh: Gatehouse, token: str) -> tuple[str, datetime]:
    """Spend a link and open a cookie session; return the cookie token and its expiry.

    The expiry returned is the absolute one (8 hours); the session also ends after 30 idle
    minutes. A link already opened answers ``link_used``, an expired one ``link_expired``.
    """
    digest = token_hash(token)
    if digest is None:
        raise Unauthorized("the sign-in link is not valid")
    now = gh.clock()
    with gh.engine.begin() as connection:
        row = connection.execute(
            select(customer_sessions).where(
                customer_sessions.c.token_hash == digest, customer_sessions.c.kind == _LINK
            )
        ).first()
        if row is None or row.revoked_at is not None:
            raise Unauthorized("the sign-in link is not valid")
        if row.used_at is not None:
            raise Unauthorized("this sign-in link was used already", code="link_used")
        if row.expires_at <= now:
            raise Unauthorized("this sign-in link has expired", code="link_expired")
        subject = SubjectRepository(connection).get(row.subject_id)
        if subject is None or subject.deleted:
            raise Unauthorized("the sign-in link is not valid")
        # The condition on used_at makes two concurrent openings spend the link only once.
        spent = connection.execute(
            update(customer_sessions)
            .where(customer_sessions.c.id == row.id, customer_sessions.c.used_at.is_(None))
            .values(used_at=now)
        )
        if spent.rowcount != 1:
            raise Unauthorized("this sign-in link was used already", code="link_used")
        cookie = new_token()
        expires_at = now + MAX_LIFETIME
        connection.execute(
            insert(customer_sessions).values(
                id=new_id("cse"),
                subject_id=row.subject_id,
                kind=_COOKIE,
                token_hash=_stored_hash(cookie),
                link_id=row.id,
                created_at=now,
                expires_at=expires_at,
                idle_expires_at=min(now + IDLE_TIMEOUT, expires_at),
            )
        )
    return cookie, expires_at


def authenticate_customer(gh: Gatehouse, token: str | None) -> CustomerPrincipal:
    """The customer behind a link or cookie token, or ``Unauthorized``; slides the idle expiry."""
    refused = Unauthorized("sign in to the privacy center again")
    digest = token_hash(token)
    if digest is None:
        raise refused
    now = gh.clock()
    with gh.engine.connect() as connection:
        row = connection.execute(
            select(customer_sessions).where(customer_sessions.c.token_hash == digest)
        ).first()
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            raise refused
        if row.kind == _LINK and row.used_at is not None:
            raise refused
        if row.kind == _COOKIE and (row.idle_expires_at is None or row.idle_expires_at <= now):
            raise refused
        subject = SubjectRepository(connection).get(row.subject_id)
    # Deletion revokes sessions too; checking here as well keeps a racing request out.
    if subject is None or subject.deleted:
        raise refused
    if row.kind == _COOKIE:
        _touch(gh, row.id, row.idle_expires_at, row.expires_at, now)
    return CustomerPrincipal(subject_id=row.subject_id, session_id=row.id)


def _touch(
    gh: Gatehouse, session_id: str, idle_expires_at: datetime, expires_at: datetime, now: datetime
) -> None:
    slid = min(now + IDLE_TIMEOUT, expires_at)
    if slid - idle_expires_at < _TOUCH_STEP:
        return
    with gh.engine.begin() as connection:
        connection.execute(
            update(customer_sessions)
            .where(customer_sessions.c.id == session_id, customer_sessions.c.revoked_at.is_(None))
            .values(idle_expires_at=slid)
        )


def end_session(gh: Gatehouse, token: str | None) -> None:
    """Sign out: revoke the session behind ``token``; an unknown or ended one is left alone."""
    digest = token_hash(token)
    if digest is None:
        return
    with gh.engine.begin() as connection:
        connection.execute(
            update(customer_sessions)
            .where(
                customer_sessions.c.token_hash == digest,
                customer_sessions.c.revoked_at.is_(None),
            )
            .values(revoked_at=gh.clock())
        )


def revoke_sessions(gh: Gatehouse, subject_id: str) -> int:
    """Revoke every live link and session of a subject; returns how many were revoked."""
    now = gh.clock()
    with gh.engine.begin() as connection:
        if SubjectRepository(connection).get(subject_id) is None:
            raise NotFound(f"no subject with id {subject_id!r}", code="subject_not_found")
        result = connection.execute(
            update(customer_sessions)
            .where(
                customer_sessions.c.subject_id == subject_id,
                customer_sessions.c.revoked_at.is_(None),
                customer_sessions.c.expires_at > now,
            )
            .values(revoked_at=now)
        )
    return int(result.rowcount)


def customer_subject(gh: Gatehouse, subject_id: str) -> Subject:
    """The live subject a customer session speaks for: NotFound, or KeyShredded once erased."""
    with gh.engine.connect() as connection:
        return _live_subject(connection, subject_id)


def belongs_to_erased_subject(gh: Gatehouse, token: str | None) -> bool:
    """Whether a link or cookie token, live or not, was issued to a subject since erased.

    Authentication answers only "not signed in"; a customer coming back with the cookie of a
    deleted account deserves to hear that the account is gone, not to be sent for a new link
    that the marketplace can no longer give.
    """
    digest = token_hash(token)
    if digest is None:
        return False
    with gh.engine.connect() as connection:
        subject_id = connection.execute(
            select(customer_sessions.c.subject_id).where(customer_sessions.c.token_hash == digest)
        ).scalar()
        if subject_id is None:
            return False
        subject = SubjectRepository(connection).get(subject_id)
    return subject is not None and subject.deleted
