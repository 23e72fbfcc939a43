"""Verifying the whole ledger, streamed from one snapshot, on the in-memory unit of work."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gatehouse.ledger import CheckpointSigner, derive_signer
from gatehouse.services import ledger_checkpoints, ledger_verify
from gatehouse.vault import Keyring, MasterKey
from tests.support.fake_world import World, new_world


@pytest.fixture
def w() -> World:
    world = new_world()
    for _ in range(3):
        subject_id = world.subject()
        world.consent(subject_id, world.recipient())
        world.advance(minutes=1)
    return world


def test_an_untouched_ledger_verifies_with_its_checkpoints(w: World) -> None:
    ledger_checkpoints.make_checkpoint(w.gh)
    w.consent(w.subject(), w.recipient())
    ledger_checkpoints.make_checkpoint(w.gh)
    seen: list[tuple[int, int]] = []

    result = ledger_verify.verify(w.gh, progress=lambda done, total: seen.append((done, total)))

    assert result.ok and result.first_bad is None
    assert result.entries == len(w.db.entries()) == 4
    assert seen and seen[-1] == (4, 4)
    assert w.db.units[-1].read_only


def test_an_edited_entry_is_named(w: World) -> None:
    ledger_checkpoints.make_checkpoint(w.gh)
    position, entry = sorted(w.db.tables.entries.items())[1]
    w.db.tables.entries[position] = replace(entry, payload={**entry.payload, "channel": "app"})

    result = ledger_verify.verify(w.gh)

    assert not result.ok and result.first_bad is not None
    assert (result.first_bad.shard, result.first_bad.seq) == position


def test_checkpoints_under_another_master_key_are_reported(w: World) -> None:
    ledger_checkpoints.make_checkpoint(w.gh)
    w.gh.keyring = Keyring([MasterKey.generate()])

    result = ledger_verify.verify(w.gh)

    assert not result.ok and result.first_bad is not None
    assert result.first_bad.reason == "checkpoint #1 signature does not verify"


def _three_checkpoints(w: World) -> None:
    for _ in range(3):
        w.consent(w.subject(), w.recipient())
        w.advance(minutes=5)
        ledger_checkpoints.make_checkpoint(w.gh)


def test_a_checkpoint_deleted_from_the_middle_breaks_the_chain(w: World) -> None:
    _three_checkpoints(w)
    del w.db.tables.checkpoints[1]

    result = ledger_verify.verify(w.gh)

    assert not result.ok and result.first_bad is not None
    assert result.first_bad.reason == "checkpoint #2 is missing (after #1, #3)"


def test_the_first_checkpoint_deleted_is_reported(w: World) -> None:
    _three_checkpoints(w)
    del w.db.tables.checkpoints[0]

    result = ledger_verify.verify(w.gh)

    assert result.first_bad is not None
    assert result.first_bad.reason == "checkpoint #1 is missing (the first stored is #2)"


def test_a_checkpoint_replaced_by_another_key_is_reported(w: World) -> None:
    _three_checkpoints(w)
    stolen = CheckpointSigner.generate()
    second = w.db.tables.checkpoints[1]
    w.db.tables.checkpoints[1] = stolen.sign(2, second.at, second.shards)

    result = ledger_verify.verify(w.gh)

    assert result.first_bad is not None
    assert result.first_bad.reason == "checkpoint #2 signature does not verify"


def test_a_checkpoint_replaced_in_the_chain_is_caught_by_the_next_link(w: World) -> None:
    _three_checkpoints(w)
    signer = derive_signer(w.gh.keyring.current.material)
    second = w.db.tables.checkpoints[1]
    # Re-signed with the right key but a different body: the next one names the old hash.
    w.db.tables.checkpoints[1] = replace(second, at=second.at + timedelta(seconds=1))
    body = w.db.tables.checkpoints[1].body_bytes()
    w.db.tables.checkpoints[1] = replace(
        w.db.tables.checkpoints[1],
        signature=base64.b64encode(
            Ed25519PrivateKey.from_private_bytes(signer.private_bytes()).sign(body)
        ).decode(),
    )

    result = ledger_verify.verify(w.gh)

    assert result.first_bad is not None
    assert result.first_bad.reason == (
        "checkpoint #3 does not name the hash of checkpoint #2: one of them was replaced"
    )


def test_verifying_mints_no_signing_key(w: World) -> None:
    assert ledger_verify.verify(w.gh).ok
    assert ledger_checkpoints.LEDGER_SIGNING_SECRET not in w.db.tables.vault_secrets
