"""Audit paths from stored subtree roots are the RFC 6962 paths, and a stored root that lies
either fails the proof against the signed root or is named by the comparison."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from gatehouse.ledger import (
    BLOCK_LEAVES,
    BLOCK_LEVEL,
    TILE_LEAVES,
    TILE_LEVEL,
    LeafTree,
    StoredTree,
    block_subtrees,
    root,
    subtree_problem,
    subtrees_above,
    verify_inclusion,
)

LEAVES = [hashlib.sha256(f"leaf {i}".encode()).digest() for i in range(5 * BLOCK_LEAVES + 99)]


def _blocks(size: int) -> dict[int, bytes]:
    return {
        index: root(LEAVES[index * BLOCK_LEAVES : (index + 1) * BLOCK_LEAVES])
        for index in range(size // BLOCK_LEAVES)
    }


def _tiles(size: int) -> dict[int, bytes]:
    return {
        index: root(LEAVES[index * TILE_LEAVES : (index + 1) * TILE_LEAVES])
        for index in range(size // BLOCK_LEAVES * BLOCK_LEAVES // TILE_LEAVES)
    }


def _tree(size: int, stored: dict[tuple[int, int], bytes]) -> tuple[StoredTree, list[int]]:
    reads: list[int] = []

    def tile(index: int) -> list[bytes]:
        reads.append(index)
        low = index * TILE_LEAVES
        return LEAVES[low : min(low + TILE_LEAVES, size)]

    return StoredTree(size, lambda level, index: stored.get((level, index)), tile), reads


def _stored(size: int, tiles: bool = True) -> dict[tuple[int, int], bytes]:
    """What checkpoints store for ``size`` leaves: with its tiles, or (stored before them)
    from the blocks up only."""
    found = subtrees_above(_tiles(size), TILE_LEVEL) if tiles else subtrees_above(_blocks(size))
    return {(level, index): node for level, index, node in found}


@settings(max_examples=80, deadline=None)
@given(data=st.data(), size=st.integers(min_value=1, max_value=len(LEAVES)))
def test_paths_from_stored_subtrees_are_the_rfc_6962_paths(data: st.DataObject, size: int) -> None:
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    tree, reads = _tree(size, _stored(size))

    path = tree.audit_path(index)

    assert path == LeafTree(LEAVES[:size]).audit_path(index)
    # The entry's tile, and the tiles of the last, partial block: never the rest of the shard.
    last_block = (size - 1) // BLOCK_LEAVES * (BLOCK_LEAVES // TILE_LEAVES)
    assert set(reads) - {index // TILE_LEAVES} <= set(range(last_block, last_block + 16))


def test_blocks_stored_before_their_tiles_still_give_the_paths() -> None:
    size = 3 * BLOCK_LEAVES + 5
    tree, reads = _tree(size, _stored(size, tiles=False))

    assert tree.audit_path(17) == LeafTree(LEAVES[:size]).audit_path(17)
    # The entry's whole block, tile by tile, and the partial block's one tile.
    assert sorted(set(reads)) == [*range(16), 48]


def test_without_stored_subtrees_the_paths_come_from_the_leaves() -> None:
    size = 3 * BLOCK_LEAVES + 5
    tree, reads = _tree(size, {})

    assert tree.audit_path(17) == LeafTree(LEAVES[:size]).audit_path(17)
    assert sorted(set(reads)) == list(range(49))


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    size=st.integers(min_value=1, max_value=len(LEAVES)),
    tiles=st.booleans(),
)
def test_what_the_paths_read_is_known_ahead_and_once_preloaded_nothing_more_is_read(
    data: st.DataObject, size: int, tiles: bool
) -> None:
    indices = data.draw(st.lists(st.integers(min_value=0, max_value=size - 1), max_size=8))
    stored = _stored(size, tiles)
    tree, reads = _tree(size, {})  # every read not preloaded would go to an empty store
    for _ in range(BLOCK_LEVEL + 1):  # as the service does: a round per missing level
        keys, wanted = tree.reads_for(indices)
        tree.preload(
            {key: stored.get(key) for key in keys},
            {i: LEAVES[i * TILE_LEAVES : min((i + 1) * TILE_LEAVES, size)] for i in wanted},
        )

    assert tree.reads_for(indices) == ([], [])
    for index in indices:
        assert tree.audit_path(index) == LeafTree(LEAVES[:size]).audit_path(index)
    assert reads == []


def test_a_block_stores_its_tiles_and_every_level_up_to_its_own_root() -> None:
    found = block_subtrees(2, LEAVES[2 * BLOCK_LEAVES : 3 * BLOCK_LEAVES])

    assert [level for level, _, _ in found].count(TILE_LEVEL) == BLOCK_LEAVES // TILE_LEAVES
    assert found[-1] == (BLOCK_LEVEL, 2, _blocks(3 * BLOCK_LEAVES)[2])
    for level, index, node in found:
        width = 1 << level
        assert node == root(LEAVES[index * width : (index + 1) * width])


def test_a_lying_stored_subtree_fails_the_proof_against_the_signed_root() -> None:
    size = 4 * BLOCK_LEAVES + 10
    stored = _stored(size)
    stored[(BLOCK_LEVEL, 1)] = hashlib.sha256(b"forged").digest()
    tree, _ = _tree(size, stored)

    path = [bytes.fromhex(node) for node in tree.audit_path(5)]

    assert not verify_inclusion(LEAVES[5], 5, size, path, root(LEAVES[:size]))


def test_the_block_roots_give_every_complete_subtree_above_them() -> None:
    found = {(level, index) for level, index, _ in subtrees_above(_blocks(5 * BLOCK_LEAVES))}

    assert found == {
        *((BLOCK_LEVEL, index) for index in range(5)),
        (BLOCK_LEVEL + 1, 0),
        (BLOCK_LEVEL + 1, 1),
        (BLOCK_LEVEL + 2, 0),
    }
    for level, index, node in subtrees_above(_blocks(5 * BLOCK_LEAVES)):
        width = 1 << level
        assert node == root(LEAVES[index * width : (index + 1) * width])


def test_stored_subtrees_are_held_to_the_recomputed_tiles() -> None:
    tiles = _tiles(4 * BLOCK_LEAVES)
    rows = [(level, index, node.hex()) for level, index, node in subtrees_above(tiles, TILE_LEVEL)]
    assert subtree_problem(3, tiles, rows) is None
    # Blocks stored before their tiles were are checked the same way.
    above = [row for row in rows if row[0] >= BLOCK_LEVEL]
    assert subtree_problem(3, tiles, above) is None

    tile = next(row for row in rows if row[:2] == (TILE_LEVEL, 5))
    problem = subtree_problem(3, tiles, [*rows, (tile[0], tile[1], "11" * 32)])
    assert problem is not None and problem.seq == 5 * TILE_LEAVES

    forged = [*rows[:-1], (rows[-1][0], rows[-1][1], "00" * 32)]
    problem = subtree_problem(3, tiles, forged)
    assert problem is not None
    assert (problem.shard, problem.seq) == (3, 0)
    assert (
        problem.reason
        == f"the stored subtree of entries 0..{4 * BLOCK_LEAVES - 1} does not match them"
    )

    beyond = [*rows, (BLOCK_LEVEL, 9, "00" * 32)]
    problem = subtree_problem(3, tiles, beyond)
    assert problem is not None and problem.seq == 9 * BLOCK_LEAVES
    assert "which the shard does not hold" in problem.reason
