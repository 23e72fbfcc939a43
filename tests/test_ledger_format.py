"""docs/ledger-format.md is enough to verify Gatehouse's ledger without Gatehouse.

The verifier below was written from that document alone and imports nothing from Gatehouse:
only hashlib, json, base64 and cryptography. It checks the checkpoints and an inclusion proof
that a real Gatehouse database published, and rejects tampered copies of them.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tests.conftest import Fresh
from tests.support.published_ledger import Published, publish_ledger

V1_FIELDS = ("format", "sequence", "at", "shards", "root", "key_id")
V2_FIELDS = (*V1_FIELDS, "public_key", "previous", "consistency")
FIELDS = {"gatehouse.checkpoint.v1": V1_FIELDS, "gatehouse.checkpoint.v2": V2_FIELDS}

# -- the verifier, from the document --------------------------------------------------------


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf(data: bytes) -> bytes:
    return sha256(b"\x00" + data)


def node(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return sha256(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node(mth(leaves[:k]), mth(leaves[k:]))


def entry_bytes(entry: dict[str, Any]) -> bytes:
    document = {name: value for name, value in entry.items() if name != "entry_hash"}
    text = json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def ascii_json(document: Any) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode("ascii")


def verify_inclusion(item: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, item
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(m: int, n: int, old: bytes, new: bytes, proof: list[bytes]) -> bool:
    """RFC 9162 section 2.1.4.2, with the two cases the document leaves to the caller."""
    if m == n:
        return not proof and old == new
    if m == 0:
        return not proof
    if m > n or not proof:
        return False
    path = list(proof)
    if m & (m - 1) == 0:
        path.insert(0, old)
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old and sr == new


def signed_bytes(checkpoint: dict[str, Any]) -> bytes:
    return ascii_json({name: checkpoint[name] for name in FIELDS[checkpoint["format"]]})


def digest(checkpoint: dict[str, Any]) -> str:
    return sha256(signed_bytes(checkpoint)).hex()


def check_checkpoint(checkpoint: dict[str, Any], fingerprint: str) -> bool:
    """Signed by the key with this fingerprint, over heads that rebuild its root."""
    raw = base64.b64decode(checkpoint["public_key"], validate=True)
    if sha256(raw).hex() != fingerprint or checkpoint["key_id"] != fingerprint[:16]:
        return False
    heads = checkpoint["shards"]
    if [head["shard"] for head in heads] != list(range(len(heads))):
        return False
    if mth([leaf(ascii_json(head)) for head in heads]).hex() != checkpoint["root"]:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(
            base64.b64decode(checkpoint["signature"], validate=True), signed_bytes(checkpoint)
        )
    except InvalidSignature:
        return False
    return True


def check_link(older: dict[str, Any], newer: dict[str, Any]) -> bool:
    if newer["sequence"] != older["sequence"] + 1 or newer["previous"] != digest(older):
        return False
    pairs = zip(older["shards"], newer["shards"], newer["consistency"], strict=True)
    return all(
        verify_consistency(
            old["size"],
            new["size"],
            bytes.fromhex(old["root"]),
            bytes.fromhex(new["root"]),
            [bytes.fromhex(h) for h in proof],
        )
        for old, new, proof in pairs
    )


def check_proof(proof: dict[str, Any], checkpoint: dict[str, Any]) -> bool:
    item = leaf(entry_bytes(proof["entry"]))
    if item.hex() != proof["leaf_hash"] or proof["checkpoint_sequence"] != checkpoint["sequence"]:
        return False
    path = [bytes.fromhex(h) for h in proof["audit_path"]]
    shard_root = bytes.fromhex(proof["shard_root"])
    if not verify_inclusion(item, proof["seq"], proof["tree_size"], path, shard_root):
        return False
    head = checkpoint["shards"][proof["shard"]]
    if (head["size"], head["root"]) != (proof["tree_size"], proof["shard_root"]):
        return False
    return verify_inclusion(
        leaf(ascii_json(head)),
        proof["shard"],
        len(checkpoint["shards"]),
        [bytes.fromhex(h) for h in proof["checkpoint_path"]],
        bytes.fromhex(checkpoint["root"]),
    )


def check_all(published: Published, fingerprint: str) -> bool:
    """Every published checkpoint signed and chained, the newest is the well-known one, and
    the proof holds against it."""
    checkpoints = [
        {k: v for k, v in anchor.items() if k != "leaves"} for anchor in published.anchors
    ]
    if not all(check_checkpoint(checkpoint, fingerprint) for checkpoint in checkpoints):
        return False
    if checkpoints[0]["previous"] is not None or checkpoints[0]["consistency"]:
        return False
    if not all(check_link(a, b) for a, b in zip(checkpoints, checkpoints[1:], strict=False)):
        return False
    newest = published.well_known
    if digest(newest) != digest(checkpoints[-1]) or not check_checkpoint(newest, fingerprint):
        return False
    return check_proof(published.proof, newest)


# -- against a real database ----------------------------------------------------------------


@pytest.fixture
def published(fresh: Fresh, tmp_path: Path) -> Published:
    return publish_ledger(fresh, tmp_path / "anchors")


def test_a_verifier_written_from_the_document_accepts_the_real_ledger(
    published: Published,
) -> None:
    fingerprint = published.well_known["public_key_sha256"]
    assert len(published.anchors) == 3
    assert check_all(published, fingerprint)


def _tampered(published: Published, change: str) -> Published:
    forged = copy.deepcopy(published)
    if change == "entry":
        forged.proof["entry"]["payload"]["round"] = 7
    elif change == "leaf":
        forged.proof["leaf_hash"] = "00" * 32
    elif change == "shard_root":
        forged.well_known["shards"][forged.proof["shard"]]["root"] = "11" * 32
    elif change == "signature":
        forged.well_known["at"] = "2020-01-01T00:00:00.000000Z"
    elif change == "deleted_checkpoint":
        del forged.anchors[1]
    elif change == "consistency":
        forged.anchors[2]["consistency"][forged.proof["shard"]] = ["22" * 32]
    return forged


@pytest.mark.parametrize(
    "change",
    ["entry", "leaf", "shard_root", "signature", "deleted_checkpoint", "consistency", "key"],
)
def test_the_same_verifier_rejects_a_tampered_copy(published: Published, change: str) -> None:
    fingerprint = published.well_known["public_key_sha256"]
    if change == "key":
        fingerprint = sha256(b"another key").hex()
    assert not check_all(_tampered(published, change), fingerprint)
