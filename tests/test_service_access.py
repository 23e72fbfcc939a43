"""API keys: issuing, authenticating and revoking, on the in-memory unit of work."""

from __future__ import annotations

import pytest

from gatehouse.domain.errors import Unauthorized
from gatehouse.services import access
from gatehouse.services.access import Audience
from tests.support.fake_world import World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


def test_an_operator_key_is_kept_only_as_its_hash(w: World) -> None:
    token = access.issue_operator_key(w.gh, w.clock(), label="bootstrap")

    assert token.startswith("gh_op_")
    (stored,) = w.db.tables.api_keys.values()
    assert stored["key_hash"] == access.hash_key(token) and token not in str(stored)
    assert stored["prefix"] == token[:10] and stored["label"] == "bootstrap"
    principal = access.authenticate(w.gh, token)
    assert principal == access.Principal(stored["id"], Audience.OPERATOR, None)
    assert w.db.units[-1].read_only


@pytest.mark.parametrize("token", ["", "gh_op_unknown", "x" * 201])
def test_unknown_empty_and_oversized_keys_are_refused(w: World, token: str) -> None:
    access.issue_operator_key(w.gh, w.clock())
    with pytest.raises(Unauthorized):
        access.authenticate(w.gh, token)


def test_replacing_a_recipients_keys_revokes_the_old_ones_atomically(w: World) -> None:
    seller = w.recipient()
    with w.gh.unit_of_work() as uow:
        old = access.issue_key(uow.api_keys, Audience.RECIPIENT, w.clock(), recipient_id=seller.id)
    w.advance(hours=1)

    new = access.replace_recipient_keys(w.gh, seller.id, w.clock())

    with pytest.raises(Unauthorized):
        access.authenticate(w.gh, old)
    assert access.authenticate(w.gh, new).recipient_id == seller.id
    assert access.revoke_recipient_keys(w.gh, seller.id, w.clock()) == 1
    assert access.revoke_recipient_keys(w.gh, seller.id, w.clock()) == 0
    with pytest.raises(Unauthorized):
        access.authenticate(w.gh, new)


def test_a_failed_replacement_keeps_the_old_key(w: World) -> None:
    seller = w.recipient()
    with w.gh.unit_of_work() as uow:
        old = access.issue_key(uow.api_keys, Audience.RECIPIENT, w.clock(), recipient_id=seller.id)

    w.db.fail("ApiKeys.add", RuntimeError("disk full"))
    with pytest.raises(RuntimeError):
        access.replace_recipient_keys(w.gh, seller.id, w.clock())

    assert access.authenticate(w.gh, old).recipient_id == seller.id
