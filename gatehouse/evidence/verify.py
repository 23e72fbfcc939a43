"""Verify a Gatehouse evidence bundle offline: python verify.py [BUNDLE_DIR].

Needs Python 3.11+ and the ``cryptography`` package, nothing else: no Gatehouse, no database.
It checks that the checkpoint is signed by the bundle's public key, recomputes every entry's
hash, walks each shard's hash chain from the state the bundle says it starts from, and ties
the entries to the signed checkpoint with an RFC 6962 consistency proof. It then checks every
file against the manifest. It prints ``yes`` or ``no`` with the first bad entry (shard and
seq) and exits 0 or 1.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

GENESIS_HASH = "0" * 64
CHECKPOINT_FORMAT = "gatehouse.checkpoint.v1"
EMPTY_ROOT = hashlib.sha256(b"").digest()


class Bad(Exception):
    """The first problem found; ``shard`` and ``seq`` are -1 when it is not one entry's."""

    def __init__(self, reason: str, shard: int = -1, seq: int = -1) -> None:
        super().__init__(reason)
        self.reason, self.shard, self.seq = reason, shard, seq


# -- RFC 6962 hashes ------------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of a list of leaf hashes."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(merkle_root(leaves[:k]), merkle_root(leaves[k:]))


class Frontier:
    """The roots of the perfect subtrees on a tree's right edge: a tree grown leaf by leaf."""

    def __init__(self, size: int, hashes: list[bytes]) -> None:
        if size < 0 or len(hashes) != size.bit_count():
            raise ValueError(f"a frontier of size {size} holds {size.bit_count()} hashes")
        self.size, self.hashes = size, hashes

    def append(self, leaf: bytes) -> None:
        self.hashes.append(leaf)
        self.size += 1
        size = self.size
        while not size & 1:
            right, left = self.hashes.pop(), self.hashes.pop()
            self.hashes.append(node_hash(left, right))
            size >>= 1

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        result = self.hashes[-1]
        for subtree in reversed(self.hashes[:-1]):
            result = node_hash(subtree, result)
        return result


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2: the tree of ``old_size`` leaves is a prefix of the new one."""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    old_result = new_result = path[0]
    for node in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            old_result = node_hash(node, old_result)
            new_result = node_hash(node, new_result)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            new_result = node_hash(new_result, node)
        fn >>= 1
        sn >>= 1
    return sn == 0 and old_result == old_root and new_result == new_root


# -- canonical forms ------------------------------------------------------------------------


def compact_json(document: Any, *, ascii_only: bool) -> bytes:
    """Sorted keys, no whitespace: the bytes Gatehouse hashed and signed."""
    text = json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=ascii_only, allow_nan=False
    )
    return text.encode("utf-8")


def entry_leaf(entry: dict[str, Any]) -> bytes:
    """Recompute an entry's leaf hash from every field but ``entry_hash``."""
    at = entry["at"]
    # The time must be the ledger's exact form, or the same instant could be spelled two ways.
    datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ")
    document = {
        name: entry[name]
        for name in ("shard", "seq", "kind", "at", "subject_id", "recipient_id", "payload")
    }
    document["prev_hash"] = entry["prev_hash"]
    return leaf_hash(compact_json(document, ascii_only=False))


def checkpoint_body(checkpoint: dict[str, Any]) -> bytes:
    """The bytes a checkpoint's signature covers."""
    body = {name: checkpoint[name] for name in ("sequence", "at", "shards", "root", "key_id")}
    body["format"] = CHECKPOINT_FORMAT
    return compact_json(body, ascii_only=True)


# -- the checks -----------------------------------------------------------------------------


def read_json(bundle: Path, name: str) -> Any:
    try:
        return json.loads((bundle / name).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise Bad(f"{name} cannot be read: {exc}") from None


def check_checkpoint(bundle: Path) -> dict[str, Any]:
    """The checkpoint, once its signature and its root over the shard heads verify."""
    key = read_json(bundle, "public_key.json")
    checkpoint: dict[str, Any] = read_json(bundle, "checkpoint.json")
    number = checkpoint.get("sequence")
    try:
        raw_key = base64.b64decode(key["public_key_b64"], validate=True)
        if hashlib.sha256(raw_key).hexdigest()[:16] != checkpoint["key_id"]:
            raise Bad(f"checkpoint #{number} was not signed by the bundle's public key")
        heads = checkpoint["shards"]
        if [head["shard"] for head in heads] != list(range(len(heads))):
            raise Bad(f"checkpoint #{number} does not list shards 0..N-1 in order")
        leaves = [leaf_hash(compact_json(head, ascii_only=True)) for head in heads]
        if merkle_root(leaves).hex() != checkpoint["root"]:
            raise Bad(f"checkpoint #{number} root does not match its shard heads")
        signature = base64.b64decode(checkpoint["signature"], validate=True)
        Ed25519PublicKey.from_public_bytes(raw_key).verify(signature, checkpoint_body(checkpoint))
    except (InvalidSignature, KeyError, TypeError, ValueError):
        raise Bad(f"checkpoint #{number} signature does not verify") from None
    return checkpoint


def read_entries(bundle: Path) -> dict[int, list[tuple[int, dict[str, Any]]]]:
    """Each shard's entries in file order, with their line numbers."""
    shards: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    try:
        lines = (bundle / "entries.jsonl").read_text(encoding="utf-8").splitlines()
    except (OSError, ValueError) as exc:
        raise Bad(f"entries.jsonl cannot be read: {exc}") from None
    for number, line in enumerate(lines, start=1):
        try:
            entry = json.loads(line)
            shard = entry["shard"]
            if not isinstance(shard, int):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise Bad(f"entries.jsonl line {number} is not a ledger entry") from None
        shards.setdefault(shard, []).append((number, entry))
    return shards


def entry_problem(entry: dict[str, Any], shard: int, seq: int, prev_hash: str) -> str | None:
    try:
        leaf = entry_leaf(entry)
    except (KeyError, TypeError, ValueError) as exc:
        return f"malformed entry: {exc}"
    if leaf.hex() != entry.get("entry_hash"):
        return "hash mismatch (the entry was edited)"
    if entry["prev_hash"] != prev_hash:
        return f"prev_hash does not link to entry {seq - 1}"
    return None


def sequence_problem(shard: int, expected: int, found: Any, later: list[Any]) -> Bad:
    if expected in later:
        return Bad(f"out of order: expected seq {expected}, found {found}", shard, expected)
    return Bad(f"missing entry: expected seq {expected}, found {found}", shard, expected)


def check_shard(
    span: dict[str, Any], entries: list[tuple[int, dict[str, Any]]], head: dict[str, Any]
) -> int:
    """Walk one shard's chain and tie it to the checkpoint's head; return the entry count."""
    shard, first, end = span["shard"], span["first_seq"], span["end_size"]
    try:
        frontier = Frontier(first, [bytes.fromhex(h) for h in span["frontier"]])
    except (TypeError, ValueError) as exc:
        raise Bad(f"the starting state is malformed: {exc}", shard, first) from None
    prev_hash = span["prev_hash"]
    # With an odd start, the frontier's last subtree is the previous entry's leaf itself.
    if (first == 0 and prev_hash != GENESIS_HASH) or (
        first % 2 == 1 and frontier.hashes[-1].hex() != prev_hash
    ):
        raise Bad("the starting state does not match the previous entry's hash", shard, first)
    seqs = [entry.get("seq") for _, entry in entries]
    for position, (_, entry) in enumerate(entries):
        seq = first + position
        if seq >= end:
            raise Bad(f"extra entry: the bundle says the shard ends at {end}", shard, seq)
        if seqs[position] != seq:
            raise sequence_problem(shard, seq, seqs[position], seqs[position + 1 :])
        problem = entry_problem(entry, shard, seq, prev_hash)
        if problem is not None:
            raise Bad(problem, shard, seq)
        frontier.append(bytes.fromhex(entry["entry_hash"]))
        prev_hash = entry["entry_hash"]
    if frontier.size != end:
        raise Bad(f"missing entry: the shard should reach seq {end - 1}", shard, frontier.size)
    proof = [bytes.fromhex(node) for node in span["consistency"]]
    if head["size"] < end or not verify_consistency(
        end, head["size"], frontier.root(), bytes.fromhex(head["root"]), proof
    ):
        # The entries match their own chain, so something in them differs from what was signed.
        raise Bad("the entries do not match the signed checkpoint", shard, first)
    return int(end - first)


def check_manifest(bundle: Path) -> None:
    manifest = read_json(bundle, "manifest.json")
    for name, digest in sorted(manifest["files"].items()):
        path = bundle / name
        if not path.is_file():
            raise Bad(f"{name} is listed in the manifest but missing")
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise Bad(f"{name} does not match its SHA-256 in the manifest")


def verify(bundle: Path) -> tuple[int, dict[str, Any]]:
    """Run every check; return (entries verified, checkpoint) or raise Bad."""
    checkpoint = check_checkpoint(bundle)
    chain = read_json(bundle, "chain.json")
    if chain.get("checkpoint_sequence") != checkpoint["sequence"]:
        raise Bad("chain.json is not tied to the bundle's checkpoint")
    shards = read_entries(bundle)
    spans = {span["shard"]: span for span in chain["shards"]}
    strays = sorted(set(shards) - set(spans))
    if strays:
        raise Bad("entry from a shard the bundle does not describe", strays[0], -1)
    total = 0
    heads = checkpoint["shards"]
    for shard in sorted(spans):
        if not 0 <= shard < len(heads):
            raise Bad("the checkpoint has no such shard", shard, -1)
        total += check_shard(spans[shard], shards.get(shard, []), heads[shard])
    check_manifest(bundle)
    return total, checkpoint


def main(argv: Sequence[str]) -> int:
    """Print yes or no (with the first bad entry) and return the exit status."""
    bundle = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent
    try:
        total, checkpoint = verify(bundle)
    except Bad as bad:
        print("no: the evidence does not verify")
        if bad.seq >= 0:
            print(f"first bad entry: shard {bad.shard}, seq {bad.seq}")
        elif bad.shard >= 0:
            print(f"first problem: shard {bad.shard}")
        print(f"reason: {bad.reason}")
        return 1
    print(
        f"yes: {total} entries verify against signed checkpoint #{checkpoint['sequence']}"
        f" (key id {checkpoint['key_id']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
