"""Audit paths from stored subtree roots are the RFC 6962 paths, and a stored root that lies
either fails the proof against the signed root or is named by the comparison."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from gatehouse.ledger import (
    BLOCK_LEAVES,
    BLOCK_LEVEL,
    LeafTree,
    StoredTree,
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


def _tree(size: int, stored: dict[tuple[int, int], bytes]) -> tuple[StoredTree, list[int]]:
    reads: list[int] = []

    def block(index: int) -> list[bytes]:
        reads.append(index)
        low = index * BLOCK_LEAVES
        return LEAVES[low : min(low + BLOCK_LEAVES, size)]

    return StoredTree(size, lambda level, index: stored.get((level, index)), block), reads


def _stored(size: int) -> dict[tuple[int, int], bytes]:
    return {(level, index): node for level, index, node in subtrees_above(_blocks(size))}


@settings(max_examples=80, deadline=None)
@given(data=st.data(), size=st.integers(min_value=1, max_value=len(LEAVES)))
def test_paths_from_stored_subtrees_are_the_rfc_6962_paths(data: st.DataObject, size: int) -> None:
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    tree, reads = _tree(size, _stored(size))

    path = tree.audit_path(index)

    assert path == LeafTree(LEAVES[:size]).audit_path(index)
    # The entry's block, and the last, partial one: never the rest of the shard.
    assert set(reads) <= {index // BLOCK_LEAVES, (size - 1) // BLOCK_LEAVES}


def test_without_stored_subtrees_the_paths_come_from_the_leaves() -> None:
    size = 3 * BLOCK_LEAVES + 5
    tree, reads = _tree(size, {})

    assert tree.audit_path(17) == LeafTree(LEAVES[:size]).audit_path(17)
    assert sorted(set(reads)) == [0, 1, 2, 3]


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


def test_stored_subtrees_are_held_to_the_recomputed_blocks() -> None:
    blocks = _blocks(4 * BLOCK_LEAVES)
    rows = [(level, index, node.hex()) for level, index, node in subtrees_above(blocks)]
    assert subtree_problem(3, blocks, rows) is None

    forged = [*rows[:-1], (rows[-1][0], rows[-1][1], "00" * 32)]
    problem = subtree_problem(3, blocks, forged)
    assert problem is not None
    assert (problem.shard, problem.seq) == (3, 0)
    assert (
        problem.reason
        == f"the stored subtree of entries 0..{4 * BLOCK_LEAVES - 1} does not match them"
    )

    beyond = [*rows, (BLOCK_LEVEL, 9, "00" * 32)]
    problem = subtree_problem(3, blocks, beyond)
    assert problem is not None and problem.seq == 9 * BLOCK_LEAVES
    assert "which the shard does not hold" in problem.reason
