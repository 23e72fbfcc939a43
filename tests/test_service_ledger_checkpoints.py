"""The ledger's signing key and signed checkpoints, on the in-memory unit of work."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from gatehouse.domain.errors import Conflict
from gatehouse.ledger import CheckpointSigner, verify_checkpoint
from gatehouse.services import ledger_checkpoints as checkpoints
from gatehouse.services.ports import DuplicateKey
from gatehouse.vault import WrappedKey, unwrap_key, wrap_key
from tests.support.fake_world import World, new_world
from tests.support.fakes import FakeVaultSecrets


@pytest.fixture
def w() -> World:
    return new_world()


def test_the_signing_key_is_made_once_and_kept_wrapped(w: World) -> None:
    assert checkpoints.stored_signer(w.gh) is None

    key = checkpoints.public_key(w.gh)

    wrapped = w.db.tables.vault_secrets[checkpoints.LEDGER_SIGNING_SECRET]
    raw = unwrap_key(wrapped, checkpoints.LEDGER_SIGNING_SECRET, w.gh.keyring)
    assert CheckpointSigner.from_private_bytes(raw).public_key_b64() == key
    assert checkpoints.public_key(w.gh) == key


def test_a_key_stored_concurrently_is_the_one_used(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    theirs = CheckpointSigner.generate()

    def racing_add(self: FakeVaultSecrets, name: str, wrapped: WrappedKey, at: datetime) -> None:
        # Another process commits its key between our read and our insert.
        w.db.tables.vault_secrets[name] = wrap_key(theirs.private_bytes(), name, w.gh.keyring)
        raise DuplicateKey("vault_secrets_pkey")

    monkeypatch.setattr(FakeVaultSecrets, "add", racing_add)

    assert checkpoints.public_key(w.gh) == theirs.public_key_b64()
    assert verify_checkpoint(checkpoints.make_checkpoint(w.gh), theirs.public_key_b64())


def test_a_checkpoint_signs_every_shards_head_and_extends_the_last(w: World) -> None:
    subject_id = w.subject()
    first = checkpoints.make_checkpoint(w.gh)
    w.consent(subject_id, w.recipient())
    w.advance(minutes=5)

    second = checkpoints.make_checkpoint(w.gh)

    key = checkpoints.public_key(w.gh)
    assert (first.sequence, second.sequence) == (1, 2)
    assert verify_checkpoint(second, key) and second.at == w.clock()
    assert sum(head.size for head in second.shards) == len(w.db.entries())
    assert checkpoints.latest_checkpoint(w.gh) == second
    assert w.db.tables.checkpoints == [first, second]


def test_a_taken_sequence_number_is_retried_then_given_up(w: World) -> None:
    w.subject()
    w.db.fail("Ledger.add_checkpoint", DuplicateKey("ledger_checkpoints_pkey"), times=2)
    assert checkpoints.make_checkpoint(w.gh).sequence == 1

    w.db.fail("Ledger.add_checkpoint", DuplicateKey("ledger_checkpoints_pkey"))
    with pytest.raises(Conflict) as busy:
        checkpoints.make_checkpoint(w.gh)
    assert busy.value.code == "checkpoint_busy" and len(w.db.tables.checkpoints) == 1


def test_a_checkpoint_is_due_only_when_old_and_outgrown(w: World) -> None:
    every = timedelta(minutes=15)
    subject_id = w.subject()
    assert checkpoints.checkpoint_if_due(w.gh, every) is None  # nothing to sign yet
    w.consent(subject_id, w.recipient())
    signed = checkpoints.checkpoint_if_due(w.gh, every)
    assert signed is not None and signed.sequence == 1
    w.advance(minutes=20)
    assert checkpoints.checkpoint_if_due(w.gh, every) is None  # old, but nothing new
    w.consent(subject_id, w.recipient())
    w.advance(minutes=5)
    assert checkpoints.checkpoint_if_due(w.gh, every) is not None
    w.consent(subject_id, w.recipient())
    assert checkpoints.checkpoint_if_due(w.gh, every) is None  # new, but signed too recently
