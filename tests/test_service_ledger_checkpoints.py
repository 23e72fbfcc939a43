"""The ledger's signing key and signed checkpoints, on the in-memory unit of work."""

from __future__ import annotations

import base64
import dataclasses
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gatehouse.domain.errors import Conflict
from gatehouse.ledger import (
    CHECKPOINT_FORMAT_V1,
    CheckpointSigner,
    ShardHead,
    derive_signer,
    verify_checkpoint,
)
from gatehouse.services import ledger_checkpoints as checkpoints
from gatehouse.services import ledger_keys, ledger_verify
from gatehouse.services.ledger_append import LEDGER_SHARDS
from gatehouse.services.ports import DuplicateKey
from gatehouse.vault import wrap_key
from tests.support.fake_world import World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


def test_the_signing_key_is_derived_from_the_master_key_and_never_stored(w: World) -> None:
    assert checkpoints.stored_signer(w.gh) is None

    key = checkpoints.public_key(w.gh)
    signed = checkpoints.make_checkpoint(w.gh)

    assert key == derive_signer(w.gh.keyring.current.material).public_key_b64()
    assert verify_checkpoint(signed, key) and signed.public_key == key
    assert checkpoints.LEDGER_SIGNING_SECRET not in w.db.tables.vault_secrets
    assert checkpoints.public_key(w.gh) == key


def test_a_legacy_stored_key_verifies_its_checkpoints_and_signs_nothing_new(w: World) -> None:
    legacy = CheckpointSigner.generate()
    name = checkpoints.LEDGER_SIGNING_SECRET
    w.db.tables.vault_secrets[name] = wrap_key(legacy.private_bytes(), name, w.gh.keyring)
    w.subject()
    states = w.db.tables.shard_states
    heads = [
        states[shard].head if shard in states else ShardHead.empty(shard)
        for shard in range(LEDGER_SHARDS)
    ]
    old = legacy.sign(1, w.clock(), heads)
    # What the old code signed: a v1 body, which names no predecessor and no public key.
    v1 = dataclasses.replace(old, format=CHECKPOINT_FORMAT_V1, public_key=None, previous=None)
    w.db.tables.checkpoints.append(
        dataclasses.replace(
            v1, signature=base64.b64encode(_raw(legacy).sign(v1.body_bytes())).decode()
        )
    )
    w.consent(w.subject(), w.recipient())

    new = checkpoints.make_checkpoint(w.gh)

    assert new.public_key == checkpoints.public_key(w.gh) != legacy.public_key_b64()
    assert new.previous == w.db.tables.checkpoints[0].digest()
    assert ledger_keys.legacy_public_key(w.gh) == legacy.public_key_b64()
    assert ledger_verify.verify(w.gh).ok


def _raw(signer: CheckpointSigner) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(signer.private_bytes())


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
