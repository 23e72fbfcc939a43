"""RFC 6962 / RFC 9162 Merkle trees: reference vectors, every proof shape, every tampering."""

from __future__ import annotations

import hashlib

import pytest

from gatehouse.ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    extension_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    perfect_root,
    root,
    verify_consistency,
    verify_inclusion,
)

# The Certificate Transparency reference leaves and tree heads for sizes 0..8.
CT_DATA = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_LEAVES = [leaf_hash(bytes.fromhex(data)) for data in CT_DATA]

H_96A2 = "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"
H_5F08 = "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"
H_6B47 = "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"
H_BC1A = "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"
H_CA85 = "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"
H_D37E = "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
H_0EBC = "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"

MAX = 40
LEAVES = [leaf_hash(f"leaf {i}".encode()) for i in range(MAX)]
ROOTS = [root(LEAVES[:n]) for n in range(MAX + 1)]


def hexes(proof: list[bytes]) -> list[str]:
    return [node.hex() for node in proof]


def flipped(proof: list[bytes], index: int, byte: int) -> list[bytes]:
    changed = bytearray(proof[index])
    changed[byte] ^= 0x01
    return [*proof[:index], bytes(changed), *proof[index + 1 :]]


def test_empty_tree_and_empty_leaf_match_rfc_6962() -> None:
    assert EMPTY_ROOT.hex() == CT_ROOTS[0]
    assert root([]).hex() == CT_ROOTS[0]
    assert leaf_hash(b"").hex() == CT_ROOTS[1]
    assert leaf_hash(b"").hex().startswith("6e340b9c")


def test_node_hash_uses_the_0x01_prefix_and_is_ordered() -> None:
    left, right = CT_LEAVES[0], CT_LEAVES[1]
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert node_hash(left, right).hex() == CT_ROOTS[2]
    assert node_hash(left, right) != node_hash(right, left)


@pytest.mark.parametrize("size", range(len(CT_ROOTS)))
def test_roots_match_the_reference_tree_heads(size: int) -> None:
    assert root(CT_LEAVES[:size]).hex() == CT_ROOTS[size]


def test_reference_inclusion_proofs() -> None:
    assert hexes(inclusion_proof(CT_LEAVES, 0)) == [H_96A2, H_5F08, H_6B47]
    assert hexes(inclusion_proof(CT_LEAVES, 5)) == [H_BC1A, H_CA85, H_D37E]
    assert inclusion_proof(CT_LEAVES[:1], 0) == []
    root8 = bytes.fromhex(CT_ROOTS[8])
    for index in (0, 5):
        proof = inclusion_proof(CT_LEAVES, index)
        assert verify_inclusion(CT_LEAVES[index], index, 8, proof, root8)


def test_reference_consistency_proofs() -> None:
    assert hexes(consistency_proof(CT_LEAVES, 2)) == [H_5F08, H_6B47]
    assert hexes(consistency_proof(CT_LEAVES, 6)) == [H_0EBC, H_CA85, H_D37E]
    assert hexes(consistency_proof(CT_LEAVES[:5], 2)) == [H_5F08, H_BC1A]
    assert consistency_proof(CT_LEAVES, 8) == []
    assert consistency_proof(CT_LEAVES, 0) == []
    for old, new in ((2, 8), (6, 8), (2, 5)):
        proof = consistency_proof(CT_LEAVES[:new], old)
        old_root, new_root = bytes.fromhex(CT_ROOTS[old]), bytes.fromhex(CT_ROOTS[new])
        assert verify_consistency(old, new, old_root, new_root, proof)


def test_the_split_is_the_largest_power_of_two_not_the_midpoint() -> None:
    leaves = LEAVES[:5]
    left = node_hash(node_hash(leaves[0], leaves[1]), node_hash(leaves[2], leaves[3]))
    assert root(leaves) == node_hash(left, leaves[4])


@pytest.mark.parametrize("size", range(1, MAX + 1))
def test_every_inclusion_proof_verifies_and_every_tampering_fails(size: int) -> None:
    tree, tree_root = LEAVES[:size], ROOTS[size]
    for index in range(size):
        proof = inclusion_proof(tree, index)
        leaf = tree[index]
        assert verify_inclusion(leaf, index, size, proof, tree_root)
        for position in range(len(proof)):
            for byte in (0, 31):
                assert not verify_inclusion(
                    leaf, index, size, flipped(proof, position, byte), tree_root
                )
        for other in range(size):
            if other != index:
                assert not verify_inclusion(leaf, other, size, proof, tree_root)
                assert not verify_inclusion(tree[other], index, size, proof, tree_root)
        for other_size in range(1, MAX + 1):
            if other_size != size:
                assert not verify_inclusion(leaf, index, other_size, proof, ROOTS[other_size])
        assert not verify_inclusion(leaf, index, size, proof, flipped([tree_root], 0, 7)[0])
        assert not verify_inclusion(leaf, index, size, [*proof, LEAVES[0]], tree_root)
        if proof:
            assert not verify_inclusion(leaf, index, size, proof[:-1], tree_root)
        assert not verify_inclusion(leaf, size, size, proof, tree_root)
        assert not verify_inclusion(leaf, -1, size, proof, tree_root)


@pytest.mark.parametrize("new_size", range(1, MAX + 1))
def test_every_consistency_proof_verifies_and_every_tampering_fails(new_size: int) -> None:
    tree, new_root = LEAVES[:new_size], ROOTS[new_size]
    for old_size in range(new_size + 1):
        old_root = ROOTS[old_size]
        proof = consistency_proof(tree, old_size)
        assert verify_consistency(old_size, new_size, old_root, new_root, proof)
        if old_size in (0, new_size):
            assert proof == []
            continue
        for position in range(len(proof)):
            for byte in (0, 31):
                changed = flipped(proof, position, byte)
                assert not verify_consistency(old_size, new_size, old_root, new_root, changed)
        assert not verify_consistency(old_size, new_size, old_root, new_root, proof[:-1])
        assert not verify_consistency(old_size, new_size, old_root, new_root, [*proof, LEAVES[0]])
        assert not verify_consistency(old_size, new_size, old_root, new_root, [])
        assert not verify_consistency(old_size, new_size, ROOTS[old_size - 1], new_root, proof)
        assert not verify_consistency(old_size, new_size, old_root, ROOTS[new_size - 1], proof)
        assert not verify_consistency(new_size, old_size, new_root, old_root, proof)
        for other_old in range(1, new_size):
            if other_old != old_size:
                assert not verify_consistency(
                    other_old, new_size, ROOTS[other_old], new_root, proof
                )
        for other_new in range(old_size + 1, MAX + 1):
            if other_new != new_size:
                assert not verify_consistency(
                    old_size, other_new, old_root, ROOTS[other_new], proof
                )


def test_consistency_edge_cases() -> None:
    assert verify_consistency(4, 4, ROOTS[4], ROOTS[4], [])
    assert not verify_consistency(4, 4, ROOTS[4], ROOTS[5], [])
    assert not verify_consistency(4, 4, ROOTS[4], ROOTS[4], [LEAVES[0]])
    assert verify_consistency(0, 8, EMPTY_ROOT, ROOTS[8], [])
    assert not verify_consistency(0, 8, ROOTS[1], ROOTS[8], [])
    assert not verify_consistency(0, 8, EMPTY_ROOT, ROOTS[8], [LEAVES[0]])
    assert not verify_consistency(-1, 8, EMPTY_ROOT, ROOTS[8], [])


def test_short_hashes_are_refused() -> None:
    proof = inclusion_proof(LEAVES[:8], 5)
    assert not verify_inclusion(LEAVES[5][:31], 5, 8, proof, ROOTS[8])
    assert not verify_inclusion(LEAVES[5], 5, 8, proof, ROOTS[8][:31])
    assert not verify_inclusion(LEAVES[5], 5, 8, [proof[0][:31], *proof[1:]], ROOTS[8])
    cproof = consistency_proof(LEAVES[:8], 6)
    assert not verify_consistency(6, 8, ROOTS[6][:31], ROOTS[8], cproof)
    with pytest.raises(ValueError):
        root([b"short"])
    with pytest.raises(ValueError):
        consistency_proof([b"short"], 1)


def test_out_of_range_proof_requests_raise() -> None:
    with pytest.raises(IndexError):
        inclusion_proof(LEAVES[:8], 8)
    with pytest.raises(IndexError):
        inclusion_proof(LEAVES[:8], -1)
    with pytest.raises(IndexError):
        inclusion_proof([], 0)
    with pytest.raises(ValueError):
        consistency_proof(LEAVES[:3], 5)
    with pytest.raises(ValueError):
        consistency_proof(LEAVES[:3], -1)


def test_compact_range_tracks_the_root_at_every_size() -> None:
    compact = CompactRange()
    assert compact.root() == EMPTY_ROOT
    for size in range(1, MAX + 1):
        compact.append(LEAVES[size - 1])
        assert compact.size == size
        assert len(compact.hashes) == size.bit_count()
        assert compact.root() == ROOTS[size]
        # The persisted state alone resumes the range.
        resumed = CompactRange(compact.size, compact.hashes)
        assert resumed.root() == ROOTS[size]
    assert CompactRange(8, [ROOTS[8]]).root() == ROOTS[8]


def test_compact_range_copy_is_independent() -> None:
    compact = CompactRange()
    compact.append(LEAVES[0])
    copy = compact.copy()
    copy.append(LEAVES[1])
    assert compact.root() == ROOTS[1]
    assert copy.root() == ROOTS[2]


def test_compact_range_refuses_inconsistent_state() -> None:
    with pytest.raises(ValueError):
        CompactRange(3, [LEAVES[0]])
    with pytest.raises(ValueError):
        CompactRange(-1, [])
    with pytest.raises(ValueError):
        CompactRange(1, [b"short"])
    with pytest.raises(ValueError):
        CompactRange().append(b"short")


@pytest.mark.parametrize("new_size", range(1, 24))
def test_an_extension_proof_from_the_frontier_equals_the_full_proof(new_size: int) -> None:
    leaves = [hashlib.sha256(bytes([n])).digest() for n in range(new_size)]
    for old_size in range(new_size + 1):
        frontier = CompactRange()
        for leaf in leaves[:old_size]:
            frontier.append(leaf)
        proof = extension_proof(old_size, frontier.hashes, leaves[old_size:])
        assert proof == consistency_proof(leaves, old_size)


def test_an_extension_proof_needs_a_whole_frontier() -> None:
    with pytest.raises(ValueError):
        extension_proof(3, [], [hashlib.sha256(b"x").digest()])


@pytest.mark.parametrize("width", [1, 2, 4, 64, 1024])
def test_a_perfect_root_is_the_rfc_6962_root(width: int) -> None:
    leaves = [leaf_hash(f"leaf {i}".encode()) for i in range(width)]

    assert perfect_root(leaves) == root(leaves)


@pytest.mark.parametrize("width", [0, 3, 12])
def test_a_perfect_root_needs_a_power_of_two_leaves(width: int) -> None:
    with pytest.raises(ValueError, match="power of two"):
        perfect_root([leaf_hash(b"x")] * width)


@pytest.mark.parametrize(("before", "width"), [(0, 8), (8, 8), (16, 4), (24, 8), (4, 1)])
def test_a_subtree_appended_whole_is_its_leaves_appended_one_by_one(
    before: int, width: int
) -> None:
    leaves = [leaf_hash(f"leaf {i}".encode()) for i in range(before + width)]
    one_by_one, whole = CompactRange(), CompactRange()
    for leaf in leaves:
        one_by_one.append(leaf)
    for leaf in leaves[:before]:
        whole.append(leaf)

    whole.append_subtree(perfect_root(leaves[before:]), width)

    assert whole.size == one_by_one.size
    assert whole.hashes == one_by_one.hashes
    assert whole.root() == root(leaves)


def test_a_subtree_must_be_aligned() -> None:
    tree = CompactRange()
    tree.append(leaf_hash(b"a"))

    with pytest.raises(ValueError, match="not aligned"):
        tree.append_subtree(leaf_hash(b"b"), 2)
