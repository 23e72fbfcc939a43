"""The evidence bundle: ledger entries of a window, provable offline against a signed checkpoint.

Everything is read in one read-only snapshot, so the entries, the checkpoints and the policy
versions belong together. The bundle carries every checkpoint signed since the window began,
each proven to extend the one before, and a manifest of file hashes signed with the checkpoint
key. The folder it writes is self-contained: an auditor verifies it with the bundled
``verify.py`` (Python and ``cryptography`` only) and queries its Parquet with DuckDB.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from gatehouse.domain.errors import InvalidInput, NotFound
from gatehouse.domain.privacy_policy import document_content
from gatehouse.evidence import verifier_source
from gatehouse.evidence.readme import bundle_readme
from gatehouse.ledger import Checkpoint, CheckpointSigner, LedgerEntry, format_at, key_id_for
from gatehouse.services.evidence_chain import ShardSpan, find_window, prove_span, write_span
from gatehouse.services.evidence_checkpoints import (
    CheckpointLink,
    link_checkpoints,
    select_checkpoints,
)
from gatehouse.services.ledger_checkpoints import stored_signer
from gatehouse.services.policy_storage import full_document
from gatehouse.services.ports_policy import StoredPolicy
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.unit_of_work import UnitOfWork

__all__ = ["BUNDLE_FORMAT", "ExportSummary", "Progress", "export_evidence"]

# v2 added the checkpoint history and the manifest's signature; the verifier refuses v1
# bundles rather than pass one with those parts stripped.
BUNDLE_FORMAT = "gatehouse.evidence.v2"

Progress = Callable[[int, int], None]
"""Called as ``progress(entries_read, entries_to_read)`` while the ledger is scanned."""

# The columns exactly as hashed, plus ``at_utc`` for queries; ``at`` is quoted as DuckDB
# reads a bare AT as a keyword.
_JSONL_COLUMNS = {
    "shard": "INTEGER",
    "seq": "BIGINT",
    "kind": "VARCHAR",
    "at": "VARCHAR",
    "subject_id": "VARCHAR",
    "recipient_id": "VARCHAR",
    "payload": "JSON",
    "prev_hash": "VARCHAR",
    "entry_hash": "VARCHAR",
}
_PARQUET_SELECT = (
    'shard, seq, kind, "at", CAST(strptime("at", \'%Y-%m-%dT%H:%M:%S.%fZ\') AS TIMESTAMP)'
    " AS at_utc, subject_id, recipient_id, payload, prev_hash, entry_hash"
)


@dataclass(frozen=True)
class ExportSummary:
    """What a bundle holds; ``uncovered`` entries of the window are newer than its checkpoint.

    ``checkpoints`` counts the signed checkpoints bundled, the latest being
    ``checkpoint_sequence``.
    """

    out: Path
    entries: int
    shards: int
    checkpoint_sequence: int
    uncovered: int
    policy_versions: int
    checkpoints: int


def _write_json(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


class _EntryWriter:
    """Appends entries to the JSONL, one compact line each, counting them."""

    def __init__(self, handle: IO[str]) -> None:
        self._handle = handle
        self.count = 0

    def __call__(self, entry: LedgerEntry) -> None:
        line = json.dumps(entry.to_dict(), ensure_ascii=False, separators=(",", ":"))
        self._handle.write(line + "\n")
        self.count += 1


@dataclass(frozen=True)
class _Scanned:
    checkpoint: Checkpoint
    spans: list[ShardSpan]
    uncovered: int
    policies: list[dict[str, Any]]
    history: list[Checkpoint]
    links: list[CheckpointLink]


def _scan(
    gh: Gatehouse,
    window: tuple[datetime, datetime],
    writer: _EntryWriter,
    progress: Progress | None,
    public_key_b64: str,
) -> _Scanned:
    """Scan every shard, write its window's entries and prove them; link the checkpoints
    since the window began and read the policies too."""
    spans: list[ShardSpan] = []
    uncovered = done = 0
    with gh.unit_of_work(read_only=True, snapshot=True) as uow:
        checkpoint = uow.ledger.latest_checkpoint()
        if checkpoint is None:
            raise NotFound(
                "no checkpoint has been signed yet; run `gatehouse ledger checkpoint`",
                code="no_checkpoint",
            )
        total = sum(head.size for head in checkpoint.shards)
        for head in checkpoint.shards:
            scan = find_window(uow.ledger, head.shard, head.size, *window)
            uncovered += scan.uncovered
            done += min(scan.read, head.size)
            if progress is not None:
                progress(done, max(total, done))
            if scan.first_seq is None or scan.last_seq is None:
                continue
            write_span(uow.ledger, head.shard, scan.first_seq, scan.last_seq, writer)
            spans.append(prove_span(uow.ledger, checkpoint, head, scan.first_seq, scan.last_seq))
        history = select_checkpoints(
            uow.ledger.checkpoint_bodies(), window[0], checkpoint, public_key_b64
        )
        links = link_checkpoints(uow.ledger, history)
        policies = _policy_versions(uow)
    return _Scanned(checkpoint, spans, uncovered, policies, history, links)


def _policy_versions(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Every version with its whole documents, as they were hashed when it was published."""
    versions = []
    for summary in sorted(uow.policies.history(), key=lambda stored: stored.version):
        stored = uow.policies.get(summary.version)
        documents = {} if stored is None else _whole_documents(uow, stored)
        versions.append(
            {
                "version": summary.version,
                "content_hash": summary.content_hash,
                "published_at": format_at(summary.published_at),
                "effective_at": format_at(summary.effective_at),
                "material": summary.material,
                "changes": summary.changes,
                "register_digest": summary.register_digest,
                "register_count": summary.register_count,
                "profile_version": summary.profile_version,
                "documents": documents,
            }
        )
    return versions


def _whole_documents(uow: UnitOfWork, stored: StoredPolicy) -> dict[str, Any]:
    if stored.documents:
        return stored.documents  # stored whole, before the entrustee rows were kept apart
    documents = {}
    for language in uow.policy_documents.languages(stored.version):
        document = full_document(uow, stored, language)
        if document is not None:
            documents[language] = document_content(document)
    return documents


def _write_parquet(jsonl: Path, parquet: Path) -> None:
    # DuckDB loads only when Parquet is written, not with every process that imports this.
    import duckdb

    connection = duckdb.connect()
    try:
        relation = connection.read_json(
            str(jsonl), format="newline_delimited", columns=_JSONL_COLUMNS
        )
        relation.project(_PARQUET_SELECT).write_parquet(str(parquet))
    finally:
        connection.close()


def _public_key(public_key_b64: str) -> tuple[dict[str, Any], bytes]:
    raw = base64.b64decode(public_key_b64)
    pem = Ed25519PublicKey.from_public_bytes(raw).public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
    )
    document = {
        "algorithm": "Ed25519",
        "public_key_b64": public_key_b64,
        "key_id": key_id_for(raw),
        "sha256": hashlib.sha256(raw).hexdigest(),
    }
    return document, pem


def _write_history(out: Path, history: list[Checkpoint], links: list[CheckpointLink]) -> None:
    """One file per checkpoint, named by its number, and the proofs linking each pair."""
    folder = out / "checkpoints"
    folder.mkdir()
    for checkpoint in history:
        _write_json(folder / f"{checkpoint.sequence:06d}.json", checkpoint.to_dict())
    _write_json(
        out / "checkpoint_links.json",
        {
            "format": BUNDLE_FORMAT,
            "first_sequence": history[0].sequence,
            "last_sequence": history[-1].sequence,
            "links": [link.to_dict() for link in links],
        },
    )


def _sign_manifest(out: Path, signer: CheckpointSigner) -> None:
    """Hash every file, then sign the manifest's exact bytes with the checkpoint key."""
    files = {
        path.relative_to(out).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(out.rglob("*"))
        if path.is_file()
    }
    document = {"format": BUNDLE_FORMAT, "files": files}
    manifest = (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    (out / "manifest.json").write_bytes(manifest)
    (out / "manifest.sig").write_text(signer.sign_bytes(manifest) + "\n", encoding="ascii")


def _empty_dir(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InvalidInput(f"{out} must be a new or empty folder", code="out_not_empty")
    out.mkdir(parents=True, exist_ok=True)


def export_evidence(
    gh: Gatehouse, start: datetime, end: datetime, out: Path, *, progress: Progress | None = None
) -> ExportSummary:
    """Write the evidence bundle of entries stamped in ``[start, end)`` into the folder ``out``.

    Raises ``NotFound`` before the first checkpoint, ``InvalidInput`` for an empty window or a
    folder with files in it, and ``Conflict`` when the stored ledger no longer matches its
    checkpoints or one of them is missing or unsigned (run ``gatehouse ledger verify``).
    """
    if not start < end:
        raise InvalidInput("the window must end after it starts", code="invalid_window")
    # Read, never created: an export must not mint a key for checkpoints it never signed.
    signer = stored_signer(gh)
    if signer is None:
        raise NotFound(
            "no checkpoint has been signed yet; run `gatehouse ledger checkpoint`",
            code="no_checkpoint",
        )
    _empty_dir(out)
    with (out / "entries.jsonl").open("w", encoding="utf-8") as handle:
        writer = _EntryWriter(handle)
        scanned = _scan(gh, (start, end), writer, progress, signer.public_key_b64())
    _write_parquet(out / "entries.jsonl", out / "entries.parquet")
    checkpoint = scanned.checkpoint
    _write_json(out / "checkpoint.json", checkpoint.to_dict())
    _write_history(out, scanned.history, scanned.links)
    _write_json(
        out / "chain.json",
        {
            "format": BUNDLE_FORMAT,
            "from": format_at(start),
            "to": format_at(end),
            "checkpoint_sequence": checkpoint.sequence,
            "shards": [span.to_dict() for span in scanned.spans],
        },
    )
    key_document, pem = _public_key(signer.public_key_b64())
    _write_json(out / "public_key.json", key_document)
    (out / "public_key.pem").write_bytes(pem)
    policy_dir = out / "policies"
    policy_dir.mkdir()
    for version in scanned.policies:
        _write_json(policy_dir / f"v{version['version']}.json", version)
    (out / "verify.py").write_bytes(verifier_source())
    readme = bundle_readme(
        format_at(start),
        format_at(end),
        (scanned.history[0].sequence, checkpoint.sequence),
        writer.count,
    )
    (out / "README.md").write_text(readme, encoding="utf-8")
    _sign_manifest(out, signer)
    return ExportSummary(
        out=out,
        entries=writer.count,
        shards=len(scanned.spans),
        checkpoint_sequence=checkpoint.sequence,
        uncovered=scanned.uncovered,
        policy_versions=len(scanned.policies),
        checkpoints=len(scanned.history),
    )
