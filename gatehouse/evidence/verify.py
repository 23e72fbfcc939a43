"""Verify a Gatehouse evidence bundle offline: python verify.py [BUNDLE_DIR] [--trusted FILE].

Needs Python 3.11+ and ``cryptography`` only. Every checkpoint must be signed by the bundle's
key, numbered without a gap, not dated before the one it follows, and proven (RFC 6962, per
shard) to extend it; ``--trusted`` checks a checkpoint you kept is one of them. Every entry's
hash and chain link is recomputed, and each shard's entries are proven to be in the latest
checkpoint. Last come the manifest's signature and every file's hash. It prints ``yes``, or
``no`` with the first bad item (an entry, a checkpoint and shard, or a file), and exits 0 or 1.
"""

from __future__ import annotations

import argparse
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
SIGNED = ("format", "sequence", "at", "shards", "root", "key_id")  # and from v2 on, CHAINED:
CHAINED = (*SIGNED, "public_key", "previous", "consistency")
CHECKPOINT_FORMATS = {"gatehouse.checkpoint.v1": SIGNED, "gatehouse.checkpoint.v2": CHAINED}
BUNDLE_FORMAT = "gatehouse.evidence.v2"
AT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
EMPTY_ROOT = hashlib.sha256(b"").digest()


class Bad(Exception):
    """The first problem found: an entry (``shard``, ``seq``), or else the ``item`` named
    (a checkpoint and shard, or a file); -1 and "" when it is not that kind."""

    def __init__(self, reason: str, shard: int = -1, seq: int = -1, item: str = "") -> None:
        super().__init__(reason)
        self.reason, self.shard, self.seq, self.item = reason, shard, seq, item


# -- RFC 6962 hashes ------------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


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
    datetime.strptime(at, AT_FORMAT)
    document = {
        name: entry[name]
        for name in ("shard", "seq", "kind", "at", "subject_id", "recipient_id", "payload")
    }
    document["prev_hash"] = entry["prev_hash"]
    return leaf_hash(compact_json(document, ascii_only=False))


def checkpoint_body(checkpoint: dict[str, Any]) -> bytes:
    """The bytes a checkpoint's signature covers."""
    body = {**checkpoint, "format": checkpoint.get("format", "gatehouse.checkpoint.v1")}
    return compact_json({n: body[n] for n in CHECKPOINT_FORMATS[body["format"]]}, ascii_only=True)


# -- the checks -----------------------------------------------------------------------------


def read_json(bundle: Path, name: str) -> Any:
    try:
        return json.loads((bundle / name).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise Bad(f"{name} cannot be read: {exc}", item=name) from None


def check_checkpoint(checkpoint: Any, key: Ed25519PublicKey, name: str) -> dict[str, Any]:
    """The checkpoint, once its signature and its root over the shard heads verify."""
    number = checkpoint.get("sequence") if isinstance(checkpoint, dict) else None
    item = f"checkpoint #{number} ({name})"
    try:
        if hashlib.sha256(key.public_bytes_raw()).hexdigest()[:16] != checkpoint["key_id"]:
            raise Bad(f"checkpoint #{number} was not signed by the bundle's public key", item=item)
        heads = checkpoint["shards"]
        if [head["shard"] for head in heads] != list(range(len(heads))):
            raise Bad(f"checkpoint #{number} does not list shards 0..N-1 in order", item=item)
        tree = Frontier(0, [])
        for head in heads:
            tree.append(leaf_hash(compact_json(head, ascii_only=True)))
        if tree.root().hex() != checkpoint["root"]:
            raise Bad(f"checkpoint #{number} root does not match its shard heads", item=item)
        datetime.strptime(checkpoint["at"], AT_FORMAT)
        signature = base64.b64decode(checkpoint["signature"], validate=True)
        key.verify(signature, checkpoint_body(checkpoint))
    except (InvalidSignature, KeyError, TypeError, ValueError):
        raise Bad(f"checkpoint #{number} signature does not verify", item=item) from None
    return dict(checkpoint)


def check_link(older: dict[str, Any], newer: dict[str, Any], links: dict[Any, Any]) -> None:
    """``newer`` follows ``older`` by one, is not dated before it, and extends every shard."""
    a, b, item = older["sequence"], newer["sequence"], f"checkpoint #{newer['sequence']}"
    if b != a + 1:
        raise Bad(f"checkpoint #{b} follows #{a}: checkpoint #{a + 1} is missing", item=item)
    if datetime.strptime(newer["at"], AT_FORMAT) < datetime.strptime(older["at"], AT_FORMAT):
        raise Bad(f"checkpoint #{b} is dated before checkpoint #{a}", item=item)
    if len(older["shards"]) != len(newer["shards"]):
        raise Bad(f"checkpoint #{b} covers other shards than #{a}", item=item)
    for old, new in zip(older["shards"], newer["shards"], strict=True):
        shard, proof = new["shard"], None
        try:
            found = links[(a, b)][shard]
            if found["shard"] == shard:
                proof = [bytes.fromhex(node) for node in found["consistency"]]
        except (IndexError, KeyError, TypeError, ValueError):
            pass
        if proof is None or not verify_consistency(
            old["size"], new["size"], bytes.fromhex(old["root"]), bytes.fromhex(new["root"]), proof
        ):
            reason = f"shard {shard} of checkpoint #{b} is not proven to extend checkpoint #{a}"
            raise Bad(reason, item=f"checkpoint #{b}, shard {shard}")


def check_history(
    bundle: Path, key: Ed25519PublicKey, latest: dict[str, Any], start: str
) -> list[dict[str, Any]]:
    """Every bundled checkpoint, each signed and linked to the one before, ending at latest."""
    history = []
    for path in sorted((bundle / "checkpoints").glob("*.json")):
        name = f"checkpoints/{path.name}"
        checkpoint = check_checkpoint(read_json(bundle, name), key, name)
        if path.name != f"{checkpoint['sequence']:06d}.json":
            raise Bad(f"{name} holds checkpoint #{checkpoint['sequence']}", item=name)
        history.append(checkpoint)
    history.sort(key=lambda checkpoint: int(checkpoint["sequence"]))
    if not history or history[-1] != latest:
        raise Bad("checkpoints/ does not end with checkpoint.json", item="checkpoints/")
    first = history[0]
    if first["sequence"] != 1 and not first["at"] <= start:
        reason = f"the checkpoints start at #{first['sequence']}, after the window's start"
        raise Bad(f"{reason}: earlier ones are missing", item=f"checkpoint #{first['sequence']}")
    found = read_json(bundle, "checkpoint_links.json")["links"]
    links = {(link["from"], link["to"]): link["shards"] for link in found}
    for older, newer in zip(history, history[1:], strict=False):
        check_link(older, newer, links)
    return history


def check_trusted(path: Path, history: list[dict[str, Any]], key: Ed25519PublicKey) -> None:
    """The kept checkpoint is one of the bundle's: same number, root and signature."""
    saved = read_json(path.parent, path.name)
    number = saved["sequence"]
    item, first, last = f"checkpoint #{number}", history[0]["sequence"], history[-1]["sequence"]
    ours = next((cp for cp in history if cp["sequence"] == number), None)
    if ours is None:
        where = "before this bundle's first" if number < first else "after this bundle's latest"
        reason = f"the trusted checkpoint #{number} was signed {where} (#{first}..#{last})"
        raise Bad(f"{reason}, so this bundle cannot check it", item=item)
    if (saved.get("root"), saved.get("signature")) == (ours["root"], ours["signature"]):
        return
    try:
        check_checkpoint(saved, key, path.name)
        why = "both are signed by the bundle's key: the ledger's history was rewritten"
    except Bad:
        why = "and yours is not signed by the bundle's key"
    raise Bad(f"the trusted checkpoint #{number} differs from the bundle's; {why}", item=item)


def read_entries(bundle: Path) -> dict[int, list[tuple[int, dict[str, Any]]]]:
    """Each shard's entries in file order, with their line numbers."""
    shards: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    lines = (bundle / "entries.jsonl").read_text(encoding="utf-8").splitlines()
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
            kind = "out of order" if seq in seqs[position + 1 :] else "missing entry"
            raise Bad(f"{kind}: expected seq {seq}, found {seqs[position]}", shard, seq)
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


def check_manifest(bundle: Path, key: Ed25519PublicKey) -> None:
    """The manifest is signed by the bundle's key, and lists every file exactly as it is."""
    try:
        raw = (bundle / "manifest.json").read_bytes()
        signature = (bundle / "manifest.sig").read_bytes().strip()
        key.verify(base64.b64decode(signature, validate=True), raw)
        listed = dict(json.loads(raw)["files"])
    except (OSError, InvalidSignature, ValueError, KeyError, TypeError, AttributeError):
        reason = "manifest.sig is missing or is not the bundle key's signature of manifest.json"
        raise Bad(reason, item="manifest.json") from None
    # Dot files are what file browsers leave behind (.DS_Store), never evidence.
    paths = [path.relative_to(bundle) for path in bundle.rglob("*") if path.is_file()]
    present = {p.as_posix() for p in paths if not any(n.startswith(".") for n in p.parts)}
    for name, digest in sorted(listed.items()):
        if name not in present:
            raise Bad(f"{name} is listed in the manifest but missing", item=name)
        if hashlib.sha256((bundle / name).read_bytes()).hexdigest() != digest:
            raise Bad(f"{name} does not match its SHA-256 in the manifest", item=name)
    for name in sorted(present - set(listed) - {"manifest.json", "manifest.sig"}):
        raise Bad(f"{name} is not in the manifest: it was added after the export", item=name)


def verify(bundle: Path, trusted: Path | None = None) -> tuple[int, dict[str, Any]]:
    """Run every check; return (entries verified, latest checkpoint) or raise Bad."""
    chain = read_json(bundle, "chain.json")
    try:
        if chain["format"] != BUNDLE_FORMAT:
            reason = f"chain.json is {chain['format']}, not {BUNDLE_FORMAT}: use its own verify.py"
            raise Bad(reason, item="chain.json")
        raw_key = read_json(bundle, "public_key.json")["public_key_b64"]
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(raw_key, validate=True))
        checkpoint = check_checkpoint(read_json(bundle, "checkpoint.json"), key, "checkpoint.json")
        if chain["checkpoint_sequence"] != checkpoint["sequence"]:
            raise Bad("chain.json is not tied to the bundle's checkpoint", item="chain.json")
        history = check_history(bundle, key, checkpoint, chain["from"])
        if trusted is not None:
            check_trusted(trusted, history, key)
        shards = read_entries(bundle)
        spans = {span["shard"]: span for span in chain["shards"]}
        strays = sorted(set(shards) - set(spans))
        if strays:
            raise Bad("entry from a shard the bundle does not describe", strays[0], -1)
        total, heads = 0, checkpoint["shards"]
        for shard in sorted(spans):
            if not 0 <= shard < len(heads):
                raise Bad("the checkpoint has no such shard", shard, -1)
            total += check_shard(spans[shard], shards.get(shard, []), heads[shard])
        check_manifest(bundle, key)
    except (AttributeError, IndexError, KeyError, OSError, TypeError, ValueError) as exc:
        # Every check above reads files it expects in one shape; any other shape is refused.
        raise Bad(f"the bundle is malformed: {exc!r}") from None
    return total, checkpoint


def main(argv: Sequence[str]) -> int:
    """Print yes or no (with the first bad item) and return the exit status."""
    parser = argparse.ArgumentParser(description="Verify a Gatehouse evidence bundle offline.")
    parser.add_argument("bundle", nargs="?", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--trusted", type=Path, help="a checkpoint JSON you kept earlier")
    args = parser.parse_args(argv[1:])
    try:
        total, checkpoint = verify(args.bundle, args.trusted)
    except Bad as bad:
        print("no: the evidence does not verify")
        if bad.seq >= 0:
            print(f"first bad entry: shard {bad.shard}, seq {bad.seq}")
        elif bad.item:
            print(f"first bad item: {bad.item}")
        elif bad.shard >= 0:
            print(f"first problem: shard {bad.shard}")
        print(f"reason: {bad.reason}")
        return 1
    print(
        f"yes: {total} entries verify against signed checkpoint #{checkpoint['sequence']}"
        f" (key id {checkpoint['key_id']}), which extends every bundled checkpoint before it"
    )
    if args.trusted is not None:
        print(f"yes: your trusted checkpoint ({args.trusted.name}) is one of them")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
