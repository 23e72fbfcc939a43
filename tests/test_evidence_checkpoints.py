"""The evidence bundle's checkpoint history and signed manifest, on each database.

Five checkpoints are signed over two days (one with nothing new since the one before); a
window that starts after the third bundles #3..#5 with their consistency proofs. The bundled
verifier says yes, then names the first bad item for an edited, removed or back-dated
checkpoint, an edited proof, an edited manifest and an added, removed or changed file; a
checkpoint kept earlier passes ``--trusted``, a forged one does not.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import delete

from gatehouse.domain.errors import Conflict
from gatehouse.evidence import verify as offline
from gatehouse.ledger import Checkpoint, ShardHead, checkpoint_root, consistency_proof
from gatehouse.services.evidence_chain import consistency_ranges
from gatehouse.services.evidence_checkpoints import range_roots
from gatehouse.services.evidence_export import export_evidence
from gatehouse.services.ledger import make_checkpoint
from gatehouse.services.ledger_checkpoints import stored_signer
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.ledger_tables import ledger_checkpoints
from tests.conftest import Clock, Fresh


def _append(gh: Gatehouse, clock: Clock, count: int) -> None:
    """``count`` entries an hour apart, over seven subjects (and so several shards)."""
    for n in range(count):
        with gh.unit_of_work() as uow:
            uow.ledger.append(
                kind="test.event",
                at=clock(),
                subject_id=f"subject-{n % 7}",
                recipient_id=None,
                payload={"n": n},
            )
        clock.advance(hours=1)


@dataclass
class History:
    fresh: Fresh
    checkpoints: list[Checkpoint]
    window: tuple[datetime, datetime]
    out: Path


@pytest.fixture
def history(fresh: Fresh, tmp_path: Path) -> History:
    gh, clock = fresh.gatehouse, fresh.clock
    checkpoints = []
    for count in (5, 9, 0, 13, 6):
        _append(gh, clock, count)
        checkpoints.append(make_checkpoint(gh))
    window = (checkpoints[2].at + timedelta(minutes=30), clock() + timedelta(hours=1))
    out = tmp_path / "bundle"
    summary = export_evidence(gh, *window, out)
    assert summary.checkpoints == 3 and summary.checkpoint_sequence == 5
    return History(fresh, checkpoints, window, out)


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _write(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def _copy(history: History, name: str, change: Callable[[Path], None]) -> Path:
    copy = history.out.parent / name
    shutil.copytree(history.out, copy)
    change(copy)
    return copy


def _bad(bundle: Path, trusted: Path | None = None) -> offline.Bad:
    with pytest.raises(offline.Bad) as raised:
        offline.verify(bundle, trusted)
    return raised.value


def _leaves(gh: Gatehouse, shard: int, size: int) -> list[bytes]:
    with gh.unit_of_work(read_only=True) as uow:
        return [
            bytes.fromhex(entry_hash) for _, entry_hash in uow.ledger.stream_hashes(shard, size)
        ]


def test_the_bundle_carries_every_checkpoint_since_the_window_began(history: History) -> None:
    out, gh = history.out, history.fresh.gatehouse
    stored = {checkpoint.sequence: checkpoint for checkpoint in history.checkpoints}
    names = sorted(path.name for path in (out / "checkpoints").iterdir())
    # #3 is the last signed at or before the window's start; #1 and #2 are older still.
    assert names == ["000003.json", "000004.json", "000005.json"]
    for name in names:
        assert _read(out / "checkpoints" / name) == stored[int(name[:6])].to_dict()
    assert _read(out / "checkpoint.json") == stored[5].to_dict()

    links = _read(out / "checkpoint_links.json")
    assert [(link["from"], link["to"]) for link in links["links"]] == [(3, 4), (4, 5)]
    proven = 0
    for link in links["links"]:
        older, newer = stored[link["from"]], stored[link["to"]]
        for shard, found in enumerate(link["shards"]):
            old, new = older.shards[shard].size, newer.shards[shard].size
            expected = consistency_proof(_leaves(gh, shard, new), old)
            assert found == {"shard": shard, "consistency": [node.hex() for node in expected]}
            proven += bool(expected)
    assert proven, "some shard grew from a non-empty tree, so its proof has nodes"

    total, latest = offline.verify(out)
    assert latest["sequence"] == 5 and total > 0


def test_a_window_older_than_every_checkpoint_starts_at_the_first(
    history: History, tmp_path: Path
) -> None:
    gh = history.fresh.gatehouse
    start = history.checkpoints[0].at - timedelta(days=1)
    summary = export_evidence(gh, start, history.window[1], tmp_path / "all")
    assert summary.checkpoints == 5
    names = sorted(path.name for path in (tmp_path / "all" / "checkpoints").iterdir())
    assert names == [f"{n:06d}.json" for n in range(1, 6)]
    assert offline.main(["verify.py", str(tmp_path / "all")]) == 0


def test_the_manifest_is_signed_with_the_checkpoint_key(history: History) -> None:
    out = history.out
    key = Ed25519PublicKey.from_public_bytes(
        base64.b64decode(_read(out / "public_key.json")["public_key_b64"])
    )
    signature = base64.b64decode((out / "manifest.sig").read_text(encoding="ascii"))
    key.verify(signature, (out / "manifest.json").read_bytes())  # raises if it does not
    manifest = _read(out / "manifest.json")
    assert manifest["format"] == "gatehouse.evidence.v2"
    assert "checkpoints/000004.json" in manifest["files"]
    assert "checkpoint_links.json" in manifest["files"]
    assert not {"manifest.json", "manifest.sig"} & set(manifest["files"])


def test_an_edited_checkpoint_is_named(history: History) -> None:
    def new_root(bundle: Path) -> None:
        path = bundle / "checkpoints" / "000004.json"
        document = _read(path)
        document["root"] = "ab" * 32
        _write(path, document)

    bad = _bad(_copy(history, "root", new_root))
    assert bad.item.startswith("checkpoint #4") and "root does not match" in bad.reason

    def new_head(bundle: Path) -> None:
        # A shard root and the root over the shards both redone: only the signature is wrong.
        path = bundle / "checkpoints" / "000004.json"
        document = _read(path)
        head = next(head for head in document["shards"] if head["size"])
        head["root"] = "cd" * 32
        document["root"] = checkpoint_root([ShardHead.from_dict(h) for h in document["shards"]])
        _write(path, document)

    bad = _bad(_copy(history, "head", new_head))
    assert bad.item.startswith("checkpoint #4") and "signature does not verify" in bad.reason


def test_a_checkpoint_removed_from_the_middle_is_a_gap(history: History) -> None:
    bundle = _copy(history, "gap", lambda b: (b / "checkpoints" / "000004.json").unlink())
    bad = _bad(bundle)
    assert bad.item == "checkpoint #5" and "checkpoint #4 is missing" in bad.reason
    assert offline.main(["verify.py", str(bundle)]) == 1


def test_an_edited_consistency_proof_names_the_checkpoint_and_shard(history: History) -> None:
    links = _read(history.out / "checkpoint_links.json")
    link = links["links"][0]
    shard = next(found["shard"] for found in link["shards"] if found["consistency"])
    node = link["shards"][shard]["consistency"][0]
    link["shards"][shard]["consistency"][0] = ("0" if node[0] != "0" else "1") + node[1:]

    bundle = _copy(history, "proof", lambda b: _write(b / "checkpoint_links.json", links))
    bad = _bad(bundle)
    assert bad.item == f"checkpoint #4, shard {shard}"
    assert "not proven to extend checkpoint #3" in bad.reason


def test_a_checkpoint_dated_back_and_signed_again_is_refused(history: History) -> None:
    signer = stored_signer(history.fresh.gatehouse)
    assert signer is not None
    fourth = history.checkpoints[3]
    earlier = history.checkpoints[2].at - timedelta(hours=1)
    redated = signer.sign(fourth.sequence, earlier, fourth.shards)

    bundle = _copy(
        history, "redated", lambda b: _write(b / "checkpoints" / "000004.json", redated.to_dict())
    )
    bad = _bad(bundle)
    assert bad.item == "checkpoint #4" and "dated before checkpoint #3" in bad.reason


def test_the_manifest_names_a_file_edited_added_or_removed(history: History) -> None:
    def edit_manifest(bundle: Path) -> None:
        manifest = _read(bundle / "manifest.json")
        manifest["files"]["README.md"] = hashlib.sha256(b"another readme").hexdigest()
        _write(bundle / "manifest.json", manifest)

    bad = _bad(_copy(history, "manifest", edit_manifest))
    assert bad.item == "manifest.json" and "signature" in bad.reason

    added = _copy(history, "added", lambda b: (b / "policies" / "extra.json").write_text("{}"))
    bad = _bad(added)
    assert bad.item == "policies/extra.json" and "not in the manifest" in bad.reason
    # What a file browser leaves behind is not evidence and is not reported.
    (added / "policies" / "extra.json").unlink()
    (added / ".DS_Store").write_bytes(b"\0")
    assert offline.verify(added)[1]["sequence"] == 5

    bad = _bad(_copy(history, "removed", lambda b: (b / "public_key.pem").unlink()))
    assert bad.item == "public_key.pem" and "missing" in bad.reason

    bad = _bad(_copy(history, "changed", lambda b: (b / "README.md").write_text("changed")))
    assert bad.item == "README.md" and "SHA-256" in bad.reason


def test_a_trusted_checkpoint_kept_earlier_passes_and_a_forged_one_fails(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = history.out
    saved = tmp_path / "kept.json"
    _write(saved, history.checkpoints[3].to_dict())  # as an auditor kept #4 weeks ago
    assert offline.main(["verify.py", str(out), "--trusted", str(saved)]) == 0
    assert "your trusted checkpoint (kept.json) is one of them" in capsys.readouterr().out

    forged = {**history.checkpoints[3].to_dict(), "root": "ef" * 32}
    _write(saved, forged)
    bad = _bad(out, saved)
    assert bad.item == "checkpoint #4" and "not signed by the bundle's key" in bad.reason

    # An insider with the key re-signs #4 over another history: both signatures verify.
    signer = stored_signer(history.fresh.gatehouse)
    assert signer is not None
    fourth = history.checkpoints[3]
    heads = list(fourth.shards)
    heads[1] = ShardHead(1, heads[1].size + 1, "12" * 32, "34" * 32)
    _write(saved, signer.sign(fourth.sequence, fourth.at, heads).to_dict())
    bad = _bad(out, saved)
    assert bad.item == "checkpoint #4" and "history was rewritten" in bad.reason
    assert offline.main(["verify.py", str(out), "--trusted", str(saved)]) == 1
    assert "first bad item: checkpoint #4" in capsys.readouterr().out

    _write(saved, history.checkpoints[0].to_dict())
    bad = _bad(out, saved)
    assert "before this bundle's first" in bad.reason and "cannot check it" in bad.reason


def test_an_older_bundle_format_is_sent_to_its_own_verifier(history: History) -> None:
    def downgrade(bundle: Path) -> None:
        chain = _read(bundle / "chain.json")
        _write(bundle / "chain.json", {**chain, "format": "gatehouse.evidence.v1"})

    bad = _bad(_copy(history, "v1", downgrade))
    assert bad.item == "chain.json" and "its own verify.py" in bad.reason


def test_export_refuses_a_history_with_a_checkpoint_missing(
    history: History, tmp_path: Path
) -> None:
    gh = history.fresh.gatehouse
    with gh.engine.begin() as connection:
        connection.execute(delete(ledger_checkpoints).where(ledger_checkpoints.c.sequence == 4))
    with pytest.raises(Conflict) as refused:
        export_evidence(gh, *history.window, tmp_path / "gap")
    assert refused.value.code == "ledger_mismatch" and "#4 is missing" in refused.value.message


def test_range_roots_stream_every_consistency_proof() -> None:
    leaves = [hashlib.sha256(bytes([n])).digest() for n in range(37)]
    for new in range(1, 38):
        wanted = {bounds for old in range(new + 1) for bounds in consistency_ranges(old, new)}
        roots = range_roots(((seq, leaf.hex()) for seq, leaf in enumerate(leaves)), wanted, 37)
        for old in range(new + 1):
            proof = [roots[bounds] for bounds in consistency_ranges(old, new)]
            assert proof == consistency_proof(leaves[:new], old), (old, new)
    with pytest.raises(ValueError, match="entry 3 is missing"):
        range_roots(((seq, leaf.hex()) for seq, leaf in enumerate(leaves) if seq != 3), set(), 37)


def test_the_signer_signs_a_document_but_never_a_checkpoint_body(history: History) -> None:
    signer = stored_signer(history.fresh.gatehouse)
    assert signer is not None
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(signer.public_key_b64()))
    document = b'{"format": "gatehouse.evidence.v2", "files": {}}\n'
    public.verify(base64.b64decode(signer.sign_bytes(document)), document)
    with pytest.raises(ValueError, match="never as plain bytes"):
        signer.sign_bytes(history.checkpoints[0].body_bytes())
