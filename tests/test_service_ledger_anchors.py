"""The anchor directory: one file per checkpoint, written once, read back whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gatehouse.domain.errors import Conflict, InvalidInput
from gatehouse.services import ledger_anchors, ledger_checkpoints, ledger_verify
from tests.support.fake_world import World, new_world


@pytest.fixture
def w(tmp_path: Path) -> World:
    world = new_world()
    world.gh.checkpoint_dir = tmp_path / "anchors"
    return world


def _sign_two(w: World) -> None:
    for _ in range(2):
        w.consent(w.subject(), w.recipient())
        w.advance(minutes=5)
        ledger_checkpoints.make_checkpoint(w.gh)


def test_each_checkpoint_is_published_with_its_key_and_new_leaves(w: World) -> None:
    _sign_two(w)
    assert w.gh.checkpoint_dir is not None
    read = ledger_anchors.read_anchors(w.gh.checkpoint_dir)

    assert [cp for _, cp in read.checkpoints] == w.db.tables.checkpoints
    assert not read.problems
    covered = sorted(
        (run.shard, run.first + i) for _, run in read.runs for i in range(len(run.leaves))
    )
    assert covered == sorted((e.shard, e.seq) for e in w.db.entries())
    key = ledger_checkpoints.public_key(w.gh)
    assert read.keys == {key}


def test_a_published_file_is_never_overwritten(w: World) -> None:
    _sign_two(w)
    directory = w.gh.checkpoint_dir
    assert directory is not None
    first = w.db.tables.checkpoints[0]
    path = directory / ledger_anchors.anchor_name(1)
    before = path.read_bytes()
    key = ledger_checkpoints.public_key(w.gh)
    # The same document again is no change.
    ledger_anchors.publish(directory, first, json.loads(before))
    with pytest.raises(Conflict):
        ledger_anchors.publish(directory, first, ledger_anchors.published_document(first, key))
    assert path.read_bytes() == before
    assert sorted(p.name for p in directory.iterdir()) == [
        ledger_anchors.anchor_name(1),
        ledger_anchors.anchor_name(2),
    ]


def test_an_unreadable_anchor_is_reported_not_raised(w: World) -> None:
    _sign_two(w)
    directory = w.gh.checkpoint_dir
    assert directory is not None
    (directory / ledger_anchors.anchor_name(2)).write_text("{not json")

    result = ledger_verify.verify(w.gh)

    assert result.first_bad is not None
    assert "is unreadable" in result.first_bad.reason


def test_an_unreadable_trusted_file_is_bad_input(w: World, tmp_path: Path) -> None:
    saved = tmp_path / "saved.json"
    saved.write_text('{"sequence": 1}')
    with pytest.raises(InvalidInput) as bad:
        ledger_verify.verify(w.gh, trusted=saved)
    assert bad.value.code == "bad_trusted"
