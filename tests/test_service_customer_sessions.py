"""Sign-in links and cookie sessions of the privacy center, on the in-memory unit of work."""

from __future__ import annotations

import pytest

from gatehouse.domain.errors import NotFound, Unauthorized
from gatehouse.services import customer_sessions as sessions
from gatehouse.services.browser_sessions import token_hash
from gatehouse.store.customer_sessions import CustomerSession
from gatehouse.vault import KeyShredded
from tests.support.fake_customer import FakeCustomerSessions
from tests.support.fake_world import World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


def _stored(w: World, token: str) -> CustomerSession:
    digest = token_hash(token)
    (found,) = [s for s in w.db.tables.customer_sessions.values() if s.token_hash == digest]
    return found


def test_a_link_is_stored_hashed_and_lives_fifteen_minutes(w: World) -> None:
    subject_id = w.subject()
    link = sessions.create_link(w.gh, subject_id)

    assert link.url == f"/privacy/enter?token={link.token}"
    assert link.expires_at == w.clock() + sessions.LINK_LIFETIME
    stored = _stored(w, link.token)
    assert stored.kind == "link" and stored.subject_id == subject_id
    assert link.token not in repr(w.db.tables.customer_sessions)


def test_a_new_link_forgets_sessions_that_can_never_return(w: World) -> None:
    subject_id = w.subject()
    old = sessions.create_link(w.gh, subject_id)
    w.advance(minutes=16)
    new = sessions.create_link(w.gh, subject_id)
    assert [s.token_hash for s in w.db.tables.customer_sessions.values()] == [token_hash(new.token)]
    with pytest.raises(Unauthorized):
        sessions.authenticate_customer(w.gh, old.token)


def test_only_a_live_subject_gets_a_link(w: World) -> None:
    with pytest.raises(NotFound):
        sessions.create_link(w.gh, "sub_nobody")
    subject_id = w.subject()
    w.erase(subject_id)
    with pytest.raises(KeyShredded):
        sessions.create_link(w.gh, subject_id)
    assert w.db.tables.customer_sessions == {}


def test_opening_a_link_spends_it_for_a_cookie_session(w: World) -> None:
    subject_id = w.subject()
    link = sessions.create_link(w.gh, subject_id)
    # Before the browser opens it, the app may use the link itself.
    assert sessions.authenticate_customer(w.gh, link.token).subject_id == subject_id

    cookie, expires_at = sessions.open_link(w.gh, link.token)

    assert expires_at == w.clock() + sessions.MAX_LIFETIME
    session = _stored(w, cookie)
    assert session.kind == "cookie" and session.link_id == _stored(w, link.token).id
    assert session.idle_expires_at == w.clock() + sessions.IDLE_TIMEOUT
    assert _stored(w, link.token).used_at == w.clock()
    principal = sessions.authenticate_customer(w.gh, cookie)
    assert (principal.subject_id, principal.session_id) == (subject_id, session.id)
    # Spent: neither the browser nor the app gets in with the link again.
    with pytest.raises(Unauthorized) as again:
        sessions.open_link(w.gh, link.token)
    assert again.value.code == "link_used"
    with pytest.raises(Unauthorized):
        sessions.authenticate_customer(w.gh, link.token)


@pytest.mark.parametrize("token", ["", "x" * 500, "unknown-token"])
def test_a_token_that_is_no_link_is_refused(w: World, token: str) -> None:
    subject_id = w.subject()
    sessions.create_link(w.gh, subject_id)
    with pytest.raises(Unauthorized) as refused:
        sessions.open_link(w.gh, token)
    assert refused.value.code == "unauthorized"


def test_a_cookie_token_does_not_open_as_a_link(w: World) -> None:
    cookie, _ = sessions.open_link(w.gh, sessions.create_link(w.gh, w.subject()).token)
    with pytest.raises(Unauthorized) as refused:
        sessions.open_link(w.gh, cookie)
    assert refused.value.code == "unauthorized"


def test_an_expired_revoked_or_erased_link_opens_nothing(w: World) -> None:
    subject_id = w.subject()
    late = sessions.create_link(w.gh, subject_id)
    w.advance(minutes=15)
    with pytest.raises(Unauthorized) as expired:
        sessions.open_link(w.gh, late.token)
    assert expired.value.code == "link_expired"

    revoked = sessions.create_link(w.gh, subject_id)
    assert sessions.revoke_sessions(w.gh, subject_id) == 1
    with pytest.raises(Unauthorized) as refused:
        sessions.open_link(w.gh, revoked.token)
    assert refused.value.code == "unauthorized"

    erased = sessions.create_link(w.gh, subject_id)
    w.erase(subject_id)
    before = w.db.committed()
    with pytest.raises(Unauthorized):
        sessions.open_link(w.gh, erased.token)
    assert w.db.tables == before


def test_a_link_spent_by_a_concurrent_opening_is_used(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = sessions.create_link(w.gh, w.subject())
    before = w.db.committed()
    # Another request spent it between our read and our update: the conditional update says so.
    monkeypatch.setattr(FakeCustomerSessions, "spend", lambda self, session_id, at: False)

    with pytest.raises(Unauthorized) as lost:
        sessions.open_link(w.gh, link.token)

    assert lost.value.code == "link_used"
    assert w.db.tables == before  # no cookie session for the loser


def test_the_idle_expiry_slides_up_to_the_absolute_one(w: World) -> None:
    cookie, expires_at = sessions.open_link(w.gh, sessions.create_link(w.gh, w.subject()).token)
    opened = w.clock()

    # Within a minute of the last slide, a request writes nothing.
    w.advance(seconds=30)
    sessions.authenticate_customer(w.gh, cookie)
    assert _stored(w, cookie).idle_expires_at == opened + sessions.IDLE_TIMEOUT

    # Used every 20 minutes it stays open; each use moves the idle end on.
    for _ in range(23):
        w.advance(minutes=20)
        sessions.authenticate_customer(w.gh, cookie)
        assert _stored(w, cookie).idle_expires_at == min(
            w.clock() + sessions.IDLE_TIMEOUT, expires_at
        )
    # Never past the absolute end, and not a moment after it.
    assert _stored(w, cookie).idle_expires_at == expires_at
    w.clock.now = expires_at
    with pytest.raises(Unauthorized):
        sessions.authenticate_customer(w.gh, cookie)


def test_an_idle_session_ends(w: World) -> None:
    cookie, _ = sessions.open_link(w.gh, sessions.create_link(w.gh, w.subject()).token)
    w.advance(minutes=30)
    with pytest.raises(Unauthorized):
        sessions.authenticate_customer(w.gh, cookie)


def test_signing_out_ends_only_that_session(w: World) -> None:
    subject_id = w.subject()
    phone, _ = sessions.open_link(w.gh, sessions.create_link(w.gh, subject_id).token)
    laptop, _ = sessions.open_link(w.gh, sessions.create_link(w.gh, subject_id).token)

    sessions.end_session(w.gh, phone)
    sessions.end_session(w.gh, phone)  # again: nothing more happens
    sessions.end_session(w.gh, None)
    sessions.end_session(w.gh, "never-issued")

    with pytest.raises(Unauthorized):
        sessions.authenticate_customer(w.gh, phone)
    assert sessions.authenticate_customer(w.gh, laptop).subject_id == subject_id


def test_revoking_ends_every_live_link_and_session_of_the_subject(w: World) -> None:
    subject_id, other_id = w.subject(), w.subject()
    cookie, _ = sessions.open_link(w.gh, sessions.create_link(w.gh, subject_id).token)
    link = sessions.create_link(w.gh, subject_id)
    theirs, _ = sessions.open_link(w.gh, sessions.create_link(w.gh, other_id).token)

    # The opened link, the cookie session and the fresh link: three, the other's untouched.
    assert sessions.revoke_sessions(w.gh, subject_id) == 3
    assert sessions.revoke_sessions(w.gh, subject_id) == 0
    for token in (cookie, link.token):
        with pytest.raises(Unauthorized):
            sessions.authenticate_customer(w.gh, token)
    assert sessions.authenticate_customer(w.gh, theirs).subject_id == other_id
    with pytest.raises(NotFound):
        sessions.revoke_sessions(w.gh, "sub_nobody")


def test_a_deleted_subject_is_refused_even_with_a_live_session(w: World) -> None:
    subject_id = w.subject()
    cookie, _ = sessions.open_link(w.gh, sessions.create_link(w.gh, subject_id).token)
    w.erase(subject_id)  # as a deletion racing this request would leave it

    with pytest.raises(Unauthorized):
        sessions.authenticate_customer(w.gh, cookie)
    assert sessions.belongs_to_erased_subject(w.gh, cookie) is True


def test_the_customer_subject_and_the_erased_accounts_tokens(w: World) -> None:
    kept, erased = w.subject(), w.subject()
    kept_cookie, _ = sessions.open_link(w.gh, sessions.create_link(w.gh, kept).token)
    erased_link = sessions.create_link(w.gh, erased)
    commits = w.db.commits

    assert sessions.customer_subject(w.gh, kept).id == kept
    assert sessions.belongs_to_erased_subject(w.gh, erased_link.token) is False
    w.erase(erased)
    assert sessions.belongs_to_erased_subject(w.gh, erased_link.token) is True
    assert sessions.belongs_to_erased_subject(w.gh, kept_cookie) is False
    for stranger in (None, "", "not-a-token"):
        assert sessions.belongs_to_erased_subject(w.gh, stranger) is False
    with pytest.raises(KeyShredded):
        sessions.customer_subject(w.gh, erased)
    with pytest.raises(NotFound):
        sessions.customer_subject(w.gh, "sub_nobody")
    # Reads only.
    assert w.db.commits == commits
