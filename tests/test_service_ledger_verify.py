"""Verifying the whole ledger, streamed from one snapshot, on the in-memory unit of work."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gatehouse.services import ledger_checkpoints, ledger_verify
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


def test_checkpoints_without_their_signing_key_are_reported(w: World) -> None:
    ledger_checkpoints.make_checkpoint(w.gh)
    del w.db.tables.vault_secrets[ledger_checkpoints.LEDGER_SIGNING_SECRET]

    result = ledger_verify.verify(w.gh)

    assert not result.ok and result.first_bad is not None
    assert result.first_bad.reason == "checkpoints exist but the signing key is missing"


def test_verifying_mints_no_signing_key(w: World) -> None:
    assert ledger_verify.verify(w.gh).ok
    assert ledger_checkpoints.LEDGER_SIGNING_SECRET not in w.db.tables.vault_secrets
