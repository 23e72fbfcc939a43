"""Ledger entries: their canonical bytes, their hash, and the shard they belong to.

An entry records a decision or an event (a transfer allowed or refused, a view read or closed,
a subject deleted). It holds identifiers and facts only, never raw PII, so that deleting a
subject never means rewriting the ledger.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gatehouse.ledger.merkle import leaf_hash

__all__ = [
    "GENESIS_HASH",
    "LedgerEntry",
    "canonical_bytes",
    "leaf_hash",
    "make_entry",
    "shard_for",
    "format_at",
    "parse_at",
    "payload_text",
    "stored_fields",
]

GENESIS_HASH = "0" * 64

_HEX_HASH = re.compile(r"[0-9a-f]{64}")
_AT_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")


@dataclass(frozen=True)
class LedgerEntry:
    """One hash-chained record in a shard.

    ``payload`` must hold only JSON-able identifiers and facts (ids, field names, country,
    basis code, notice hash), never raw PII: the ledger outlives every subject's data key.
    ``entry_hash`` is both the chain link for the next entry and this entry's Merkle leaf.
    Treat entries as values: mutating ``payload`` in place breaks the hash, and the verifier
    will report it.
    """

    shard: int
    seq: int
    kind: str
    at: datetime
    subject_id: str | None
    recipient_id: str | None
    payload: Mapping[str, Any]
    prev_hash: str
    entry_hash: str

    def canonical(self) -> bytes:
        """Return the canonical bytes of every field except ``entry_hash``."""
        return canonical_bytes(
            self.shard,
            self.seq,
            self.kind,
            self.at,
            self.subject_id,
            self.recipient_id,
            self.payload,
            self.prev_hash,
        )

    def leaf(self) -> bytes:
        """Return the recomputed leaf hash; equals ``entry_hash`` for an untouched entry."""
        return leaf_hash(self.canonical())

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able form, for export and offline verification."""
        return {
            "shard": self.shard,
            "seq": self.seq,
            "kind": self.kind,
            "at": format_at(self.at),
            "subject_id": self.subject_id,
            "recipient_id": self.recipient_id,
            "payload": _normalise(self.payload, "payload"),
            "prev_hash": self.prev_hash,
            "entry_hash": self.entry_hash,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LedgerEntry:
        """Rebuild an entry from :meth:`to_dict` output without recomputing its hash."""
        return cls(
            shard=data["shard"],
            seq=data["seq"],
            kind=data["kind"],
            at=parse_at(data["at"]),
            subject_id=data["subject_id"],
            recipient_id=data["recipient_id"],
            payload=data["payload"],
            prev_hash=data["prev_hash"],
            entry_hash=data["entry_hash"],
        )


def format_at(at: datetime) -> str:
    """Render an aware datetime as UTC ISO-8601 with microseconds and ``Z``."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("ledger times must be timezone-aware")
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_at(text: str) -> datetime:
    """Parse the output of :func:`format_at` back into an aware UTC datetime."""
    # fromisoformat is about forty times faster than strptime, and every ledger read pays it;
    # the pattern keeps it exactly as strict as format_at's output.
    if not isinstance(text, str) or not _AT_TEXT.fullmatch(text):
        raise ValueError(f"not a ledger time: {text!r}")
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)


def _plain(text: str) -> str:
    # str.__str__ drops subclasses such as str-based enums to their plain value, which is
    # what json.dumps writes; the stored field then compares equal after a reload.
    return str.__str__(text)


_PLAIN_SCALARS = (str, int, bool, type(None))


def _normalise(value: object, where: str) -> Any:
    """Copy ``value`` into plain JSON types, or raise ValueError naming the offending path."""
    # Exact types first: nearly every value is already plain, and every ledger read pays this.
    if type(value) in _PLAIN_SCALARS:
        return value
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _plain(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        # Floats do not round-trip exactly through every JSON store (PostgreSQL JSONB turns
        # 1e16 into an integer), and a reloaded entry would then fail its own hash.
        raise ValueError(f"{where}: floats are not allowed; use an integer or a string")
    if isinstance(value, Mapping):
        copied: dict[str, Any] = {}
        for key, item in value.items():
            if type(key) is str and type(item) in _PLAIN_SCALARS:
                copied[key] = item
                continue
            if not isinstance(key, str):
                # json.dumps would turn 1 into "1", letting two payloads share one encoding.
                raise ValueError(f"{where}: keys must be strings, not {type(key).__name__}")
            copied[_plain(key)] = _normalise(item, f"{where}.{key}")
        return copied
    if isinstance(value, list | tuple):
        return [_normalise(item, f"{where}[{i}]") for i, item in enumerate(value)]
    raise ValueError(f"{where}: {type(value).__name__} is not JSON-able")


def _check_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer")


def _check_optional_str(name: str, value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} must be a string or None")


def canonical_bytes(
    shard: int,
    seq: int,
    kind: str,
    at: datetime,
    subject_id: str | None,
    recipient_id: str | None,
    payload: Mapping[str, Any],
    prev_hash: str,
) -> bytes:
    """Return the deterministic JSON of an entry: sorted keys, no whitespace, UTF-8, UTC time.

    Raises ValueError for anything that could not be re-encoded identically after a round
    trip through storage: naive times, floats, bytes, sets, non-string keys.
    """
    _check_int("shard", shard)
    _check_int("seq", seq)
    if not isinstance(kind, str) or not kind:
        raise ValueError("kind must be a non-empty string")
    _check_optional_str("subject_id", subject_id)
    _check_optional_str("recipient_id", recipient_id)
    if not isinstance(prev_hash, str) or not _HEX_HASH.fullmatch(prev_hash):
        raise ValueError("prev_hash must be 64 lowercase hex digits")
    if not isinstance(payload, Mapping):
        raise ValueError("payload must be a mapping")
    document = {
        "shard": int(shard),
        "seq": int(seq),
        "kind": _plain(kind),
        "at": format_at(at),
        "subject_id": None if subject_id is None else _plain(subject_id),
        "recipient_id": None if recipient_id is None else _plain(recipient_id),
        "payload": _normalise(payload, "payload"),
        "prev_hash": prev_hash,
    }
    text = json.dumps(
        document,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("entry text is not valid Unicode (lone surrogate)") from exc


def payload_text(payload: Mapping[str, Any]) -> str:
    """The payload's canonical JSON text: exactly the bytes it takes in the canonical bytes.

    Stored in this form, the payload can be hashed as it is stored, without decoding it.
    """
    return json.dumps(
        _normalise(payload, "payload"),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def stored_fields(entry: LedgerEntry) -> dict[str, Any]:
    """The entry as it is stored, a column each: its time as the ledger's text, its payload
    as its canonical text (the database table and the archive files hold the same)."""
    return {
        "shard": entry.shard,
        "seq": entry.seq,
        "kind": entry.kind,
        "at": format_at(entry.at),
        "subject_id": entry.subject_id,
        "recipient_id": entry.recipient_id,
        "payload": payload_text(entry.payload),
        "prev_hash": entry.prev_hash,
        "entry_hash": entry.entry_hash,
    }


def make_entry(
    shard: int,
    seq: int,
    kind: str,
    at: datetime,
    subject_id: str | None,
    recipient_id: str | None,
    payload: Mapping[str, Any],
    prev_hash: str,
) -> LedgerEntry:
    """Build an entry and compute its hash; ``seq`` 0 takes ``GENESIS_HASH`` as ``prev_hash``."""
    canonical = canonical_bytes(shard, seq, kind, at, subject_id, recipient_id, payload, prev_hash)
    return LedgerEntry(
        shard=shard,
        seq=seq,
        kind=_plain(kind),
        at=at.astimezone(UTC),
        subject_id=None if subject_id is None else _plain(subject_id),
        recipient_id=None if recipient_id is None else _plain(recipient_id),
        # A private plain-JSON copy: later changes to the caller's dict cannot reach the entry.
        payload=_normalise(payload, "payload"),
        prev_hash=prev_hash,
        entry_hash=leaf_hash(canonical).hex(),
    )


def shard_for(subject_id: str | None, shards: int) -> int:
    """Return the shard of a subject: SHA-256 of its id, modulo ``shards``; None goes to 0.

    Spreading subjects over independent chains means concurrent writers for different subjects
    rarely contend on one chain head. The mapping must never change while a ledger exists.
    """
    if isinstance(shards, bool) or not isinstance(shards, int) or shards < 1:
        raise ValueError("shards must be a positive integer")
    if subject_id is None:
        return 0
    digest = hashlib.sha256(subject_id.encode("utf-8")).digest()
    return int.from_bytes(digest, "big") % shards
