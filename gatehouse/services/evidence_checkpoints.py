"""The evidence bundle's checkpoint history: every signed checkpoint since the window began,
and per shard the RFC 6962 consistency proof that each one extends the one before.

An insider who rewrote the database and re-signed a new history would have to re-sign every
checkpoint too; an auditor who kept an older one sees the fork. The proofs are built from the
stored leaf hashes in one streaming pass per shard and checked before they are bundled.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gatehouse.domain.errors import Conflict
from gatehouse.ledger import Checkpoint, node_hash, verify_checkpoint, verify_consistency
from gatehouse.services.evidence_chain import consistency_ranges
from gatehouse.services.ports import Ledger

__all__ = ["CheckpointLink", "link_checkpoints", "range_roots", "select_checkpoints"]

Range = tuple[int, int]


@dataclass(frozen=True)
class CheckpointLink:
    """Checkpoint ``newer`` extends ``older``: one consistency proof per shard, in order."""

    older: int
    newer: int
    proofs: tuple[tuple[str, ...], ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form the stand-alone verifier reads."""
        return {
            "from": self.older,
            "to": self.newer,
            "shards": [
                {"shard": shard, "consistency": list(proof)}
                for shard, proof in enumerate(self.proofs)
            ],
        }


def select_checkpoints(
    bodies: Iterable[tuple[int, Any]], start: datetime, latest: Checkpoint, public_key_b64: str
) -> list[Checkpoint]:
    """The checkpoints from the last one signed at or before ``start`` (or the first one)
    up to ``latest``, each verified, with no sequence number missing in between.

    Raises ``Conflict`` for a stored checkpoint that is malformed, unsigned or missing.
    """
    parsed: list[Checkpoint] = []
    for sequence, body in bodies:
        try:
            checkpoint = Checkpoint.from_dict(body)
        except (KeyError, TypeError, ValueError):
            raise _broken(f"checkpoint #{sequence} is malformed") from None
        if checkpoint.sequence <= latest.sequence:
            parsed.append(checkpoint)
    parsed.sort(key=lambda checkpoint: checkpoint.sequence)
    if not parsed or parsed[-1] != latest:
        raise _broken(f"checkpoint #{latest.sequence} is not stored as it reads")
    opening = max((i for i, cp in enumerate(parsed) if cp.at <= start), default=0)
    chosen = parsed[opening:]
    for older, newer in zip(chosen, chosen[1:], strict=False):
        if newer.sequence != older.sequence + 1:
            raise _broken(f"checkpoint #{older.sequence + 1} is missing")
    for checkpoint in chosen:
        if not verify_checkpoint(checkpoint, public_key_b64):
            raise _broken(f"checkpoint #{checkpoint.sequence} signature does not verify")
    return chosen


def link_checkpoints(ledger: Ledger, checkpoints: Sequence[Checkpoint]) -> list[CheckpointLink]:
    """For each consecutive pair, per shard, the consistency proof from the stored hashes."""
    pairs = list(zip(checkpoints, checkpoints[1:], strict=False))
    shards = len(checkpoints[-1].shards)
    for older, newer in pairs:
        if len(older.shards) != len(newer.shards):
            raise _broken(
                f"checkpoint #{newer.sequence} covers {len(newer.shards)} shards,"
                f" #{older.sequence} covers {len(older.shards)}"
            )
        for before, after in zip(older.shards, newer.shards, strict=True):
            if after.size < before.size:
                raise _broken(f"checkpoint #{newer.sequence} shrinks shard {after.shard}")
    proofs: list[list[tuple[str, ...]]] = [[] for _ in pairs]
    for shard in range(shards):
        sizes = [(older.shards[shard].size, newer.shards[shard].size) for older, newer in pairs]
        wanted = {bounds for old, new in sizes for bounds in consistency_ranges(old, new)}
        size = checkpoints[-1].shards[shard].size
        roots: dict[Range, bytes] = {}
        # A shard that only stood still or started between checkpoints needs no proof nodes.
        if wanted:
            try:
                roots = range_roots(ledger.stream_hashes(shard, size), wanted, size)
            except ValueError as exc:
                raise _broken(f"shard {shard}: {exc}") from None
        for number, (older, newer) in enumerate(pairs):
            old, new = older.shards[shard], newer.shards[shard]
            proof = [roots[bounds] for bounds in consistency_ranges(old.size, new.size)]
            if not verify_consistency(
                old.size, new.size, bytes.fromhex(old.root), bytes.fromhex(new.root), proof
            ):
                raise _broken(
                    f"shard {shard}: the stored entries do not show checkpoint"
                    f" #{newer.sequence} extends #{older.sequence}"
                )
            proofs[number].append(tuple(node.hex() for node in proof))
    return [
        CheckpointLink(older.sequence, newer.sequence, tuple(found))
        for (older, newer), found in zip(pairs, proofs, strict=True)
    ]


def range_roots(
    hashes: Iterable[tuple[int, str]], wanted: set[Range], size: int
) -> dict[Range, bytes]:
    """The Merkle root of each wanted leaf range, from leaf hashes streamed in order.

    Every range of an RFC 6962 consistency proof is either a perfect aligned subtree, which
    the growing tree builds at some point, or runs to the end of the newer tree, where it is
    a fold of the tree's right edge at that size; so one pass in O(log n) memory finds all.
    ``hashes`` yields ``(seq, hex leaf hash)`` from seq 0; a gap or a count other than
    ``size`` raises ValueError.
    """
    ends: dict[int, list[int]] = {}
    for lo, hi in wanted:
        ends.setdefault(hi, []).append(lo)
    found: dict[Range, bytes] = {}
    edge: list[tuple[int, int, bytes]] = []  # (first leaf, leaf count, root) of each subtree
    expected = 0
    for seq, entry_hash in hashes:
        if seq != expected:
            raise ValueError(f"entry {expected} is missing")
        expected += 1
        node, lo, width = bytes.fromhex(entry_hash), seq, 1
        if (lo, lo + 1) in wanted:
            found[(lo, lo + 1)] = node
        while edge and edge[-1][1] == width:
            lo, _, left = edge.pop()
            node, width = node_hash(left, node), width * 2
            if (lo, lo + width) in wanted:
                found[(lo, lo + width)] = node
        edge.append((lo, width, node))
        for start in ends.get(expected, ()):
            if (start, expected) not in found:
                found[(start, expected)] = _fold(edge, start)
    if expected != size:
        raise ValueError(f"found {expected} entries, expected {size}")
    missed = wanted - found.keys()
    if missed:
        raise ValueError(f"leaf range {min(missed)} is not a subtree of the ledger's trees")
    return found


def _fold(edge: list[tuple[int, int, bytes]], start: int) -> bytes:
    """The root over the right-edge subtrees from leaf ``start`` on."""
    inside = [(lo, node) for lo, _, node in edge if lo >= start]
    if not inside or inside[0][0] != start:
        raise ValueError(f"leaf {start} does not start a subtree on the tree's edge")
    result = inside[-1][1]
    for _, node in reversed(inside[:-1]):
        result = node_hash(node, result)
    return result


def _broken(reason: str) -> Conflict:
    return Conflict(
        f"the checkpoint history cannot be exported: {reason}; run `gatehouse ledger verify`",
        code="ledger_mismatch",
    )
