"""The backup file: a tar of one gzipped JSON-lines member per table, plus a manifest.

Layout (version 1)::

    manifest.json               format, version, Alembic revision, master-key ids, and per
                                table: member name, columns with their codecs, row count,
                                SHA-256 of the member, and a digest of its rows
    tables/<table>.jsonl.gz     one JSON array per row, values in the manifest's column order

Values are portable JSON: datetimes as ISO 8601 (naive UTC, as stored), bytes as base64,
JSON columns as JSON. The rows digest is the sum modulo 2**256 of each encoded row's
SHA-256, so it does not depend on row order and can be recomputed after a restore into
another database engine, whose collation may order rows differently.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Column
from sqlalchemy.types import JSON

from gatehouse.domain.errors import GatehouseError

__all__ = [
    "FORMAT",
    "VERSION",
    "MANIFEST",
    "SEAL",
    "BackupInvalid",
    "ColumnSpec",
    "TableSpec",
    "KeyIds",
    "Manifest",
    "RowsDigest",
    "codec_for",
    "encode_row",
    "decode_row",
    "member_name",
    "write_member",
    "write_manifest",
    "read_manifest",
    "read_member",
    "read_rows",
]

FORMAT = "gatehouse-backup"
VERSION = 1
MANIFEST = "manifest.json"
# HMAC-SHA256 of manifest.json under a key derived from the current master key (hex).
SEAL = "manifest.seal"
_DIGEST_MODULUS = 2**256


class BackupInvalid(GatehouseError):
    """The backup file is unreadable, of another format, or does not match its manifest."""

    code = "backup_invalid"


@dataclass(frozen=True)
class ColumnSpec:
    """A column and how its values are written."""

    name: str
    codec: str


@dataclass(frozen=True)
class TableSpec:
    """One table's member in the backup."""

    name: str
    member: str
    columns: list[ColumnSpec]
    rows: int
    sha256: str
    rows_digest: str


@dataclass(frozen=True)
class KeyIds:
    """The master keys the backup needs: ids only, never key material."""

    current: str
    required: list[str]


@dataclass(frozen=True)
class Manifest:
    """What the backup holds, in load order."""

    revision: str
    created_at: str
    source_dialect: str
    master_key: KeyIds
    tables: list[TableSpec] = field(default_factory=list)

    def to_json(self) -> bytes:
        """The manifest as the bytes stored in the tar."""
        body = {"format": FORMAT, "version": VERSION, **asdict(self)}
        return json.dumps(body, indent=2, sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        """Parse a manifest, refusing another format or version."""
        try:
            body = json.loads(data)
            if body.get("format") != FORMAT or body.get("version") != VERSION:
                raise BackupInvalid("not a Gatehouse backup of a version this Gatehouse reads")
            tables = [
                TableSpec(
                    name=t["name"],
                    member=t["member"],
                    columns=[ColumnSpec(c["name"], c["codec"]) for c in t["columns"]],
                    rows=int(t["rows"]),
                    sha256=t["sha256"],
                    rows_digest=t["rows_digest"],
                )
                for t in body["tables"]
            ]
            key = body["master_key"]
            return cls(
                revision=body["revision"],
                created_at=body["created_at"],
                source_dialect=body["source_dialect"],
                master_key=KeyIds(key["current"], list(key["required"])),
                tables=tables,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupInvalid(f"the manifest is malformed ({type(exc).__name__})") from None


class RowsDigest:
    """An order-independent digest of encoded rows."""

    def __init__(self) -> None:
        self.total = 0
        self.count = 0

    def add(self, line: bytes) -> None:
        """Count one encoded row."""
        self.total = (self.total + int.from_bytes(hashlib.sha256(line).digest())) % (
            _DIGEST_MODULUS
        )
        self.count += 1

    def hexdigest(self) -> str:
        """The digest as 64 hex digits."""
        return f"{self.total:064x}"


def codec_for(column: Column[Any]) -> str:
    """The codec a reflected column's values are written with."""
    if isinstance(column.type, JSON):
        return "json"
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return "json"
    for kind, name in (
        (bool, "bool"),
        (int, "int"),
        (float, "float"),
        (Decimal, "decimal"),
        (datetime, "datetime"),
        (date, "date"),
        (bytes, "bytes"),
        (str, "str"),
    ):
        if issubclass(python_type, kind):
            return name
    return "json"


def _encode(codec: str, value: Any) -> Any:
    if value is None:
        return None
    if codec == "datetime":
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat()
    if codec == "date":
        return value.isoformat()
    if codec == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if codec == "decimal":
        return str(value)
    return value


def _decode(codec: str, value: Any) -> Any:
    if value is None:
        return None
    if codec == "datetime":
        return datetime.fromisoformat(value)
    if codec == "date":
        return date.fromisoformat(value)
    if codec == "bytes":
        return base64.b64decode(value)
    if codec == "decimal":
        return Decimal(value)
    return value


def encode_row(columns: Sequence[ColumnSpec], row: Sequence[Any]) -> bytes:
    """One row as its JSON line, without the newline."""
    values = [_encode(c.codec, v) for c, v in zip(columns, row, strict=True)]
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def decode_row(columns: Sequence[ColumnSpec], line: bytes) -> dict[str, Any]:
    """One JSON line back to the column values to insert."""
    values = json.loads(line)
    if not isinstance(values, list) or len(values) != len(columns):
        raise BackupInvalid("a row does not match its table's columns")
    return {c.name: _decode(c.codec, v) for c, v in zip(columns, values, strict=True)}


def member_name(table: str) -> str:
    """Where a table's rows live inside the tar."""
    return f"tables/{table}.jsonl.gz"


def _add(tar: tarfile.TarFile, name: str, source: IO[bytes], size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    tar.addfile(info, source)


def write_member(
    tar: tarfile.TarFile,
    spool: Path,
    table: str,
    columns: list[ColumnSpec],
    rows: Iterable[Sequence[Any]],
) -> TableSpec:
    """Write a table's rows through the ``spool`` file into the tar; return its spec."""
    digest = RowsDigest()
    # mtime=0: the same rows give the same bytes, whenever they are written.
    with spool.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as zipped:
        for row in rows:
            line = encode_row(columns, row)
            digest.add(line)
            zipped.write(line + b"\n")
    sha = hashlib.sha256()
    with spool.open("rb") as stored:
        for chunk in iter(lambda: stored.read(1 << 20), b""):
            sha.update(chunk)
    name = member_name(table)
    with spool.open("rb") as stored:
        _add(tar, name, stored, spool.stat().st_size)
    spool.unlink()
    return TableSpec(table, name, columns, digest.count, sha.hexdigest(), digest.hexdigest())


def write_manifest(tar: tarfile.TarFile, data: bytes, seal: str) -> None:
    """Add the manifest's bytes and their seal as the tar's last members (the manifest needs
    every table's checksum)."""
    _add(tar, MANIFEST, io.BytesIO(data), len(data))
    sealed = seal.encode("ascii")
    _add(tar, SEAL, io.BytesIO(sealed), len(sealed))


def _open_member(tar: tarfile.TarFile, name: str) -> IO[bytes]:
    try:
        handle = tar.extractfile(name)
    except KeyError:
        raise BackupInvalid(f"the backup has no member {name}") from None
    if handle is None:
        raise BackupInvalid(f"the backup member {name} is not a file")
    return handle


def read_member(tar: tarfile.TarFile, name: str) -> bytes:
    """A small member's bytes (the manifest, its seal)."""
    with _open_member(tar, name) as handle:
        return handle.read()


def read_manifest(tar: tarfile.TarFile) -> Manifest:
    """The backup's manifest."""
    return Manifest.from_json(read_member(tar, MANIFEST))


def read_rows(tar: tarfile.TarFile, spec: TableSpec) -> Iterator[dict[str, Any]]:
    """A table's rows, streamed, after its member's SHA-256 is checked; the row count is
    checked when the last row has been read."""
    sha = hashlib.sha256()
    with _open_member(tar, spec.member) as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            sha.update(chunk)
    if sha.hexdigest() != spec.sha256:
        raise BackupInvalid(
            f"the member for table {spec.name} does not match its SHA-256 in the manifest",
            details={"table": spec.name},
        )
    count = 0
    try:
        with _open_member(tar, spec.member) as handle, gzip.GzipFile(fileobj=handle) as lines:
            for line in lines:
                count += 1
                yield decode_row(spec.columns, line.rstrip(b"\n"))
    except (OSError, EOFError):
        raise BackupInvalid(f"the member for table {spec.name} is not gzip") from None
    if count != spec.rows:
        raise BackupInvalid(f"table {spec.name} has {count} rows, not {spec.rows}")
