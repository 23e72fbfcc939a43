"""Key-backed browser sessions of the portal and the console, on the in-memory unit of work."""

from __future__ import annotations

import pytest

from gatehouse.services import access, browser_sessions
from gatehouse.services.access import Audience
from gatehouse.services.browser_sessions import CONSOLE, PORTAL
from tests.support.fake_world import World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


def recipient_key(w: World) -> tuple[str, str]:
    seller = w.recipient()
    with w.gh.unit_of_work() as uow:
        token = access.issue_key(
            uow.api_keys, Audience.RECIPIENT, w.clock(), recipient_id=seller.id
        )
    return seller.id, token


def test_a_portal_session_is_stored_hashed_and_found_by_its_token(w: World) -> None:
    seller_id, key = recipient_key(w)
    principal = browser_sessions.principal_for_key(w.gh, f"  {key} ", Audience.RECIPIENT)
    assert principal is not None

    token, session = browser_sessions.start_session(w.gh, PORTAL, principal)

    assert session.recipient == seller_id
    assert session.expires_at == w.clock() + browser_sessions.SESSION_LIFETIME
    assert token not in str(w.db.tables.sessions)
    found = browser_sessions.find_session(w.gh, PORTAL, token)
    assert found == session and w.db.units[-1].read_only
    assert session.csrf_token == browser_sessions.csrf_token_for(token, PORTAL.csrf_label)
    # A portal token opens nothing on the console.
    assert browser_sessions.find_session(w.gh, CONSOLE, token) is None


def test_keys_of_another_audience_or_unknown_ones_open_nothing(w: World) -> None:
    _, key = recipient_key(w)
    operator = access.issue_operator_key(w.gh, w.clock())

    assert browser_sessions.principal_for_key(w.gh, key, Audience.OPERATOR) is None
    assert browser_sessions.principal_for_key(w.gh, "gh_op_nothing", Audience.OPERATOR) is None
    principal = browser_sessions.principal_for_key(w.gh, operator, Audience.OPERATOR)
    assert principal is not None
    with pytest.raises(ValueError):
        browser_sessions.start_session(w.gh, PORTAL, principal)
    token, session = browser_sessions.start_session(w.gh, CONSOLE, principal)
    assert session.recipient_id is None
    with pytest.raises(LookupError):
        _ = session.recipient


def test_a_session_ends_on_sign_out_expiry_or_the_keys_revocation(w: World) -> None:
    seller_id, key = recipient_key(w)
    principal = browser_sessions.principal_for_key(w.gh, key, Audience.RECIPIENT)
    assert principal is not None
    signed_out, _ = browser_sessions.start_session(w.gh, PORTAL, principal)
    revoked, _ = browser_sessions.start_session(w.gh, PORTAL, principal)
    expired, _ = browser_sessions.start_session(w.gh, PORTAL, principal)

    assert browser_sessions.end_session(w.gh, PORTAL, signed_out)
    assert not browser_sessions.end_session(w.gh, PORTAL, signed_out)
    assert browser_sessions.find_session(w.gh, PORTAL, signed_out) is None
    access.revoke_recipient_keys(w.gh, seller_id, w.clock())
    assert browser_sessions.find_session(w.gh, PORTAL, revoked) is None
    assert browser_sessions.find_session(w.gh, PORTAL, None) is None
    assert browser_sessions.find_session(w.gh, PORTAL, "x" * 500) is None

    w.advance(hours=9)
    assert browser_sessions.find_session(w.gh, PORTAL, expired) is None
    assert browser_sessions.purge_expired(w.gh, PORTAL) == 3
    assert w.db.tables.sessions == {}


def test_signing_in_forgets_sessions_that_can_never_return(w: World) -> None:
    operator = access.issue_operator_key(w.gh, w.clock())
    principal = access.authenticate(w.gh, operator)
    browser_sessions.start_session(w.gh, CONSOLE, principal)
    w.advance(hours=9)

    browser_sessions.start_session(w.gh, CONSOLE, principal)

    assert len(w.db.tables.sessions) == 1
