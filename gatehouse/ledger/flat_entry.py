"""Ledger entries of flat payloads, encoded without the generic normalising walk.

Nearly every entry the gateway writes (a transfer allowed or refused) has a flat payload:
strings, null, booleans and integers, lists of strings, and objects of strings or null.
Their canonical bytes are assembled here by concatenation, each string through the very
encoder ``json.dumps`` uses, and hashed once. The bytes are exactly those of
:func:`gatehouse.ledger.entry.canonical_bytes` (``docs/ledger-format.md`` section 1); any
other payload, and anything that would make the generic encoder raise, goes through
:func:`gatehouse.ledger.entry.make_entry` instead, which then raises its own error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from hashlib import sha256
from json.encoder import encode_basestring
from typing import Any

from gatehouse.ledger.entry import LedgerEntry, make_entry, payload_text

__all__ = ["flat_payload_text", "make_flat_entry"]

_NULL = "null"
_HEX_HASH = re.compile(r"[0-9a-f]{64}")


def _scalar(value: object) -> str | None:
    """JSON of a plain scalar (exact types only: no subclass), or None for anything else."""
    if type(value) is str:
        return encode_basestring(value)
    if value is None:
        return _NULL
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is int:
        return int.__repr__(value)
    return None


def _strings(value: list[Any] | tuple[Any, ...]) -> tuple[str, list[str]] | None:
    for item in value:
        if type(item) is not str:
            return None
    return "[" + ",".join(map(encode_basestring, value)) + "]", list(value)


def _names(value: dict[Any, Any]) -> tuple[str, dict[str, str | None]] | None:
    try:
        names = sorted(value)
    except TypeError:  # keys of several types: not flat (and not JSON-able)
        return None
    parts = []
    for name in names:
        item = value[name]
        if type(name) is not str:
            return None
        if item is None:
            parts.append(encode_basestring(name) + ":null")
        elif type(item) is str:
            parts.append(encode_basestring(name) + ":" + encode_basestring(item))
        else:
            return None
    return "{" + ",".join(parts) + "}", {name: value[name] for name in names}


def _value(value: object) -> tuple[str, Any] | None:
    """JSON of one payload value and its plain copy; None when the value is not flat."""
    text = _scalar(value)
    if text is not None:
        return text, value
    if type(value) is list or type(value) is tuple:
        return _strings(value)
    if type(value) is dict:
        return _names(value)
    return None


def flat_payload_text(payload: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The canonical JSON text of a flat payload and a plain copy of it; None when the
    payload is not flat (or not a plain dict), so the generic encoder must take it."""
    if type(payload) is not dict:
        return None
    try:
        keys = sorted(payload)
    except TypeError:  # keys of several types: not flat (and not JSON-able)
        return None
    copy: dict[str, Any] = {}
    parts = []
    for key in keys:
        if type(key) is not str:
            return None
        value = payload[key]
        # The common values first, inline: this runs for every entry a transfer writes.
        if type(value) is str:
            parts.append(encode_basestring(key) + ":" + encode_basestring(value))
            copy[key] = value
            continue
        if value is None:
            parts.append(encode_basestring(key) + ":null")
            copy[key] = None
            continue
        found = _value(value)
        if found is None:
            return None
        parts.append(encode_basestring(key) + ":" + found[0])
        copy[key] = found[1]
    return "{" + ",".join(parts) + "}", copy


def _optional(value: str | None) -> str:
    return _NULL if value is None else encode_basestring(value)


def _plain_fields(
    shard: int, seq: int, kind: str, subject_id: str | None, recipient_id: str | None, prev: str
) -> bool:
    """Whether every field but the payload is of the exact type the fast path writes as is."""
    return (
        type(shard) is int
        and shard >= 0
        and type(seq) is int
        and seq >= 0
        and type(kind) is str
        and kind != ""
        and (subject_id is None or type(subject_id) is str)
        and (recipient_id is None or type(recipient_id) is str)
        and type(prev) is str
        and _HEX_HASH.fullmatch(prev) is not None
    )


def make_flat_entry(
    shard: int,
    seq: int,
    kind: str,
    at: datetime,
    at_text: str,
    subject_id: str | None,
    recipient_id: str | None,
    payload: Mapping[str, Any],
    prev_hash: str,
) -> tuple[LedgerEntry, str]:
    """The entry :func:`make_entry` builds from the same arguments, and its payload's
    canonical text (as the ledger stores it).

    ``at_text`` must be ``format_at(at)``: a caller that stamps many entries alike computes
    it once.
    """
    flat = flat_payload_text(payload)
    if flat is not None and _plain_fields(shard, seq, kind, subject_id, recipient_id, prev_hash):
        text, copy = flat
        # The eight keys in sorted order, as json.dumps(sort_keys=True) writes them; at and
        # prev_hash are ASCII digits and letters, which JSON writes unescaped.
        document = "".join(
            (
                '{"at":"',
                at_text,
                '","kind":',
                encode_basestring(kind),
                ',"payload":',
                text,
                ',"prev_hash":"',
                prev_hash,
                '","recipient_id":',
                _optional(recipient_id),
                ',"seq":',
                int.__repr__(seq),
                ',"shard":',
                int.__repr__(shard),
                ',"subject_id":',
                _optional(subject_id),
                "}",
            )
        )
        try:
            canonical = document.encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: the generic encoder below raises its own error
        else:
            entry = LedgerEntry(
                shard=shard,
                seq=seq,
                kind=kind,
                at=at if at.tzinfo is UTC else at.astimezone(UTC),
                subject_id=subject_id,
                recipient_id=recipient_id,
                payload=copy,
                prev_hash=prev_hash,
                entry_hash=sha256(b"\x00" + canonical).hexdigest(),
            )
            return entry, text
    entry = make_entry(shard, seq, kind, at, subject_id, recipient_id, payload, prev_hash)
    return entry, payload_text(entry.payload)
