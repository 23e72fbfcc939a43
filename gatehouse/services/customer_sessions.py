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

from gatehouse.domain.errors import Unauthorized
from gatehouse.domain.ids import new_id
from gatehouse.domain.subjects import Subject
from gatehouse.services.browser_sessions import new_token, token_hash
from gatehouse.services.ports import Subjects
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.subjects import require_subject
from gatehouse.services.unit_of_work import UnitOfWork
from gatehouse.store.customer_sessions import CustomerSession
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
    "revoke_sessions_in",
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


def _live_subject(subjects: Subjects, subject_id: str) -> Subject:
    subject = require_subject(subjects, subject_id)
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
    with gh.unit_of_work() as uow:
        _live_subject(uow.subjects, subject_id)
        # Links are rare, so this is a cheap moment to forget sessions that can never return.
        uow.customer_sessions.purge_expired(now)
        uow.customer_sessions.add(
            CustomerSession(
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
    with gh.unit_of_work() as uow:
        link = uow.customer_sessions.find(digest)
        if link is None or link.kind != _LINK or link.revoked_at is not None:
            raise Unauthorized("the sign-in link is not valid")
        if link.used_at is not None:
            raise Unauthorized("this sign-in link was used already", code="link_used")
        if link.expires_at <= now:
            raise Unauthorized("this sign-in link has expired", code="link_expired")
        subject = uow.subjects.get(link.subject_id)
        if subject is None or subject.deleted:
            raise Unauthorized("the sign-in link is not valid")
        # Spent only while unspent: of two concurrent openings, one gets the session.
        if not uow.customer_sessions.spend(link.id, now):
            raise Unauthorized("this sign-in link was used already", code="link_used")
        cookie = new_token()
        expires_at = now + MAX_LIFETIME
        uow.customer_sessions.add(
            CustomerSession(
                id=new_id("cse"),
                subject_id=link.subject_id,
                kind=_COOKIE,
                token_hash=_stored_hash(cookie),
                link_id=link.id,
                created_at=now,
                expires_at=expires_at,
                idle_expires_at=min(now + IDLE_TIMEOUT, expires_at),
            )
        )
    return cookie, expires_at


def _usable(session: CustomerSession | None, now: datetime) -> CustomerSession | None:
    """The session if it still signs its customer in at ``now``, else None."""
    if session is None or session.revoked_at is not None or session.expires_at <= now:
        return None
    if session.kind == _LINK and session.used_at is not None:
        return None
    if session.kind == _COOKIE and (
        session.idle_expires_at is None or session.idle_expires_at <= now
    ):
        return None
    return session


def authenticate_customer(gh: Gatehouse, token: str | None) -> CustomerPrincipal:
    """The customer behind a link or cookie token, or ``Unauthorized``; slides the idle expiry."""
    refused = Unauthorized("sign in to the privacy center again")
    digest = token_hash(token)
    if digest is None:
        raise refused
    now = gh.clock()
    with gh.unit_of_work() as uow:
        session = _usable(uow.customer_sessions.find(digest), now)
        if session is None:
            raise refused
        subject = uow.subjects.get(session.subject_id)
        # Deletion revokes sessions too; checking here as well keeps a racing request out.
        if subject is None or subject.deleted:
            raise refused
        if session.kind == _COOKIE:
            _touch(uow, session, now)
    return CustomerPrincipal(subject_id=session.subject_id, session_id=session.id)


def _touch(uow: UnitOfWork, session: CustomerSession, now: datetime) -> None:
    """Slide the idle expiry, at most up to the absolute one; skipped within a small step."""
    assert session.idle_expires_at is not None
    slid = min(now + IDLE_TIMEOUT, session.expires_at)
    if slid - session.idle_expires_at < _TOUCH_STEP:
        return
    uow.customer_sessions.slide(session.id, slid)


def end_session(gh: Gatehouse, token: str | None) -> None:
    """Sign out: revoke the session behind ``token``; an unknown or ended one is left alone."""
    digest = token_hash(token)
    if digest is None:
        return
    with gh.unit_of_work() as uow:
        uow.customer_sessions.revoke(digest, gh.clock())


def revoke_sessions_in(uow: UnitOfWork, subject_id: str, at: datetime) -> int:
    """Revoke every live link and session of a subject in the caller's unit of work."""
    require_subject(uow.subjects, subject_id)
    return uow.customer_sessions.revoke_subject(subject_id, at)


def revoke_sessions(gh: Gatehouse, subject_id: str) -> int:
    """Revoke every live link and session of a subject; returns how many were revoked."""
    with gh.unit_of_work() as uow:
        return revoke_sessions_in(uow, subject_id, gh.clock())


def customer_subject(gh: Gatehouse, subject_id: str) -> Subject:
    """The live subject a customer session speaks for: NotFound, or KeyShredded once erased."""
    with gh.unit_of_work(read_only=True) as uow:
        return _live_subject(uow.subjects, subject_id)


def belongs_to_erased_subject(gh: Gatehouse, token: str | None) -> bool:
    """Whether a link or cookie token, live or not, was issued to a subject since erased.

    Authentication answers only "not signed in"; a customer coming back with the cookie of a
    deleted account deserves to hear that the account is gone, not to be sent for a new link
    that the marketplace can no longer give.
    """
    digest = token_hash(token)
    if digest is None:
        return False
    with gh.unit_of_work(read_only=True) as uow:
        session = uow.customer_sessions.find(digest)
        subject = None if session is None else uow.subjects.get(session.subject_id)
    return subject is not None and subject.deleted
