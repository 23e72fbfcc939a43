"""The browser-session service: token primitives, CSRF, the sign-in nonce, and key-backed
sessions for the portal and the console (start, find, end, expiry, revoked keys, purge)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace

import pytest
from sqlalchemy import select

from gatehouse.services.access import Audience, Principal, issue_operator_key, revoke_recipient_keys
from gatehouse.services.browser_sessions import (
    CONSOLE,
    MAX_TOKEN_CHARS,
    PORTAL,
    SESSION_LIFETIME,
    BrowserSession,
    csrf_token_for,
    end_session,
    find_session,
    new_form_nonce,
    new_token,
    nonces_match,
    principal_for_key,
    purge_expired,
    start_session,
    token_hash,
    tokens_match,
)
from gatehouse.services.recipients import RecipientInput, register_recipient
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.web_tables import console_sessions, portal_sessions
from tests.conftest import Clock, Fresh
from tests.support.factories import unique


@pytest.fixture
def own_clock(gatehouse: Gatehouse) -> Clock:
    """A clock of this test's own, so moving it leaves the shared one alone."""
    return Clock(gatehouse.clock())


@pytest.fixture
def gh(gatehouse: Gatehouse, own_clock: Clock) -> Gatehouse:
    """The shared Gatehouse (same database) on this test's clock."""
    return replace(gatehouse, clock=own_clock)


def recipient_principal(gh: Gatehouse) -> tuple[Principal, str]:
    """A new recipient's principal and its API key."""
    registered = register_recipient(
        gh, RecipientInput(kind="seller", legal_name=f"Session Test Seller {unique()}")
    )
    principal = principal_for_key(gh, registered.api_key, Audience.RECIPIENT)
    assert principal is not None
    return principal, registered.api_key


def operator_principal(gh: Gatehouse) -> Principal:
    key = issue_operator_key(gh, gh.clock(), label=f"sessions-{unique()}")
    principal = principal_for_key(gh, key, Audience.OPERATOR)
    assert principal is not None
    return principal


# --- primitives ---------------------------------------------------------------------------


def test_tokens_are_random_and_stored_as_their_sha256() -> None:
    first, second = new_token(), new_token()
    assert first != second and len(first) == 43
    assert token_hash(first) == hashlib.sha256(first.encode()).hexdigest()
    assert token_hash("x" * MAX_TOKEN_CHARS) is not None


@pytest.mark.parametrize("token", [None, "", "x" * (MAX_TOKEN_CHARS + 1)])
def test_empty_and_over_long_tokens_have_no_hash(token: str | None) -> None:
    assert token_hash(token) is None


def test_the_csrf_token_is_an_hmac_of_the_session_token_under_the_sites_label() -> None:
    token = new_token()
    expected = hmac.new(token.encode(), b"gatehouse portal csrf v1", hashlib.sha256).hexdigest()
    assert csrf_token_for(token, PORTAL.csrf_label) == expected
    assert csrf_token_for(token, CONSOLE.csrf_label) != expected
    assert csrf_token_for(new_token(), PORTAL.csrf_label) != expected


def test_tokens_match_only_the_same_token() -> None:
    csrf = csrf_token_for(new_token(), b"label")
    assert tokens_match(csrf, csrf)
    for submitted in (None, "", csrf[:-1], "0" * 64, csrf + "x" * MAX_TOKEN_CHARS, "토큰"):
        assert not tokens_match(csrf, submitted)
    assert not tokens_match("", "")


def test_the_sign_in_nonce_must_be_echoed() -> None:
    nonce = new_form_nonce()
    assert nonces_match(nonce, nonce)
    assert not nonces_match(None, nonce)
    assert not nonces_match(nonce, None)
    assert not nonces_match(nonce, new_form_nonce())


def test_a_sign_in_key_must_be_live_and_of_the_audience(gh: Gatehouse) -> None:
    principal, key = recipient_principal(gh)
    assert principal_for_key(gh, f"  {key}\n", Audience.RECIPIENT) == principal
    assert principal_for_key(gh, key, Audience.OPERATOR) is None
    assert principal_for_key(gh, "gh_rk_" + "x" * 43, Audience.RECIPIENT) is None
    assert principal_for_key(gh, "", Audience.RECIPIENT) is None


# --- portal and console sessions ----------------------------------------------------------


def test_a_portal_session_is_found_by_its_token_and_ended_by_sign_out(gh: Gatehouse) -> None:
    principal, _key = recipient_principal(gh)
    token, session = start_session(gh, PORTAL, principal)
    assert session.recipient == principal.recipient_id and session.key_id == principal.key_id
    assert session.expires_at == gh.clock() + SESSION_LIFETIME
    assert session.csrf_token == csrf_token_for(token, PORTAL.csrf_label)
    assert find_session(gh, PORTAL, token) == session
    # Only the hash is stored, and the session lives in the portal's table alone.
    with gh.engine.connect() as connection:
        row = connection.execute(
            select(portal_sessions).where(portal_sessions.c.token_hash == token_hash(token))
        ).one()
    assert token not in repr(tuple(row))
    assert find_session(gh, CONSOLE, token) is None
    assert end_session(gh, PORTAL, token) is True
    assert find_session(gh, PORTAL, token) is None
    assert end_session(gh, PORTAL, token) is False


def test_a_console_session_belongs_to_an_operator_key(gh: Gatehouse) -> None:
    operator = operator_principal(gh)
    token, session = start_session(gh, CONSOLE, operator)
    assert session.recipient_id is None and session.key_id == operator.key_id
    with pytest.raises(LookupError):
        _ = session.recipient
    found = find_session(gh, CONSOLE, token)
    assert isinstance(found, BrowserSession) and found.csrf_token == session.csrf_token
    assert found.csrf_token != csrf_token_for(token, PORTAL.csrf_label)
    with gh.engine.connect() as connection:
        stored = connection.execute(
            select(console_sessions.c.key_id).where(
                console_sessions.c.token_hash == token_hash(token)
            )
        ).scalar_one()
    assert stored == operator.key_id
    assert find_session(gh, PORTAL, token) is None


def test_a_key_opens_only_its_own_audiences_sessions(gh: Gatehouse) -> None:
    recipient, _key = recipient_principal(gh)
    with pytest.raises(ValueError):
        start_session(gh, CONSOLE, recipient)
    with pytest.raises(ValueError):
        start_session(gh, PORTAL, operator_principal(gh))


def test_a_session_ends_after_eight_hours(gh: Gatehouse, own_clock: Clock) -> None:
    token, _session = start_session(gh, CONSOLE, operator_principal(gh))
    own_clock.advance(hours=7, minutes=59)
    assert find_session(gh, CONSOLE, token) is not None
    own_clock.advance(minutes=1)
    assert find_session(gh, CONSOLE, token) is None


def test_revoking_the_key_ends_its_sessions(gh: Gatehouse) -> None:
    principal, _key = recipient_principal(gh)
    token, _session = start_session(gh, PORTAL, principal)
    assert principal.recipient_id is not None
    revoke_recipient_keys(gh, principal.recipient_id, gh.clock())
    assert find_session(gh, PORTAL, token) is None


@pytest.mark.parametrize("token", [None, "", "unknown", "x" * (MAX_TOKEN_CHARS + 1)])
def test_unknown_and_over_long_tokens_find_nothing_and_end_nothing(
    gh: Gatehouse, token: str | None
) -> None:
    assert find_session(gh, PORTAL, token) is None
    assert find_session(gh, CONSOLE, token) is None
    assert end_session(gh, CONSOLE, token) is False


def test_expired_sessions_are_purged(fresh: Fresh) -> None:
    # A database of its own: purging at a clock moved far ahead would touch others' rows.
    gh, clock = fresh.gatehouse, fresh.clock
    operator = operator_principal(gh)
    old, _ = start_session(gh, CONSOLE, operator)
    clock.advance(hours=4)
    young, _ = start_session(gh, CONSOLE, operator)
    clock.advance(hours=4)
    assert purge_expired(gh, CONSOLE) == 1
    with gh.engine.connect() as connection:
        left = connection.execute(select(console_sessions.c.token_hash)).scalars().all()
    assert left == [token_hash(young)]
    assert find_session(gh, CONSOLE, young) is not None
    # Signing in purges too: the next sign-in forgets the young session once it expired.
    clock.advance(hours=4)
    start_session(gh, CONSOLE, operator)
    assert purge_expired(gh, CONSOLE) == 0
    assert find_session(gh, CONSOLE, old) is None
