"""Ledger entries: canonical bytes, hashes, validation and shard assignment."""

from __future__ import annotations

import enum
import hashlib
import json
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from gatehouse.ledger.entry import (
    GENESIS_HASH,
    LedgerEntry,
    canonical_bytes,
    format_at,
    leaf_hash,
    make_entry,
    parse_at,
    shard_for,
)

AT = datetime(2025, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
PAYLOAD = {"fields": ["name", "phone"], "country": "CN", "basis": "SEPARATE_CONSENT", "n": 3}


def entry(**changes: Any) -> LedgerEntry:
    fields: dict[str, Any] = {
        "shard": 0,
        "seq": 0,
        "kind": "transfer.allowed",
        "at": AT,
        "subject_id": "sub_1",
        "recipient_id": "rec_1",
        "payload": PAYLOAD,
        "prev_hash": GENESIS_HASH,
    }
    fields.update(changes)
    return make_entry(**fields)


def test_canonical_bytes_are_sorted_compact_json_with_utc_microseconds() -> None:
    expected = (
        b'{"at":"2025-01-02T03:04:05.000006Z","kind":"transfer.allowed",'
        b'"payload":{"basis":"SEPARATE_CONSENT","country":"CN","fields":["name","phone"],"n":3},'
        b'"prev_hash":"' + GENESIS_HASH.encode() + b'","recipient_id":"rec_1",'
        b'"seq":0,"shard":0,"subject_id":"sub_1"}'
    )
    assert entry().canonical() == expected


def test_entry_hash_is_the_rfc_6962_leaf_of_the_canonical_bytes() -> None:
    made = entry()
    digest = hashlib.sha256(b"\x00" + made.canonical()).hexdigest()
    assert made.entry_hash == digest
    assert made.leaf() == leaf_hash(made.canonical()) == bytes.fromhex(digest)


def test_leaf_hash_of_the_empty_string_is_the_rfc_6962_value() -> None:
    assert leaf_hash(b"").hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )


def test_genesis_hash_is_64_zeros() -> None:
    assert GENESIS_HASH == "0" * 64


def test_non_ascii_text_is_written_as_utf8_not_escaped() -> None:
    made = entry(payload={"note": "홍*동"})
    assert "홍*동".encode() in made.canonical()
    assert b"\\u" not in made.canonical()


def test_key_order_of_the_payload_does_not_matter() -> None:
    reordered = dict(reversed(list(PAYLOAD.items())))
    assert entry(payload=reordered).entry_hash == entry().entry_hash


@pytest.mark.parametrize(
    "change",
    [
        {"shard": 1},
        {"seq": 1},
        {"kind": "transfer.refused"},
        {"at": AT + timedelta(microseconds=1)},
        {"subject_id": "sub_2"},
        {"subject_id": None},
        {"recipient_id": None},
        {"payload": {**PAYLOAD, "n": 4}},
        {"prev_hash": "f" * 64},
    ],
)
def test_every_field_is_covered_by_the_hash(change: dict[str, Any]) -> None:
    assert entry(**change).entry_hash != entry().entry_hash


def test_the_same_instant_in_another_zone_hashes_the_same() -> None:
    seoul = AT.astimezone(timezone(timedelta(hours=9)))
    made = entry(at=seoul)
    assert made.entry_hash == entry().entry_hash
    assert made.at.utcoffset() == timedelta(0)


def test_naive_times_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        entry(at=datetime(2025, 1, 2, 3, 4, 5))


@pytest.mark.parametrize(
    "payload",
    [
        {"x": math.nan},
        {"x": math.inf},
        {"x": 1.5},
        {"x": b"bytes"},
        {"x": {1, 2}},
        {"x": object()},
        {1: "int key"},
        {"nested": [{"deep": b"raw"}]},
        {"x": "\ud800"},
    ],
)
def test_payloads_that_cannot_round_trip_are_rejected(payload: dict[Any, Any]) -> None:
    with pytest.raises(ValueError):
        entry(payload=payload)


def test_the_error_names_the_offending_path() -> None:
    with pytest.raises(ValueError, match=r"payload\.nested\[0\]\.deep"):
        entry(payload={"nested": [{"deep": b"raw"}]})


@pytest.mark.parametrize(
    "change",
    [
        {"shard": -1},
        {"seq": -1},
        {"seq": True},
        {"kind": ""},
        {"subject_id": 5},
        {"prev_hash": "0" * 63},
        {"prev_hash": "A" * 64},
    ],
)
def test_invalid_fields_are_rejected(change: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        entry(**change)


def test_canonical_bytes_alone_accepts_the_same_arguments() -> None:
    made = entry()
    assert made.canonical() == canonical_bytes(
        0, 0, "transfer.allowed", AT, "sub_1", "rec_1", PAYLOAD, GENESIS_HASH
    )


def test_the_entry_keeps_its_own_copy_of_the_payload() -> None:
    payload: dict[str, Any] = {"fields": ["name"]}
    made = entry(payload=payload)
    payload["fields"].append("phone")
    assert made.payload == {"fields": ["name"]}
    assert made.leaf().hex() == made.entry_hash


def test_tuples_and_str_enums_encode_as_their_json_values() -> None:
    class Basis(enum.StrEnum):
        CONSENT = "SEPARATE_CONSENT"

    made = entry(kind=Basis.CONSENT, payload={"basis": Basis.CONSENT, "fields": ("a", "b")})
    plain = entry(
        kind="SEPARATE_CONSENT", payload={"basis": "SEPARATE_CONSENT", "fields": ["a", "b"]}
    )
    assert made.entry_hash == plain.entry_hash
    assert type(made.kind) is str


def test_dict_round_trip_through_json_keeps_the_hash() -> None:
    made = entry(payload={"note": "홍*동", "items": [1, 2, {"sku": "A"}], "flag": True, "x": None})
    reloaded = LedgerEntry.from_dict(json.loads(json.dumps(made.to_dict())))
    assert reloaded == made
    assert reloaded.leaf().hex() == made.entry_hash


def test_format_and_parse_at_round_trip() -> None:
    assert format_at(AT) == "2025-01-02T03:04:05.000006Z"
    assert format_at(AT.replace(microsecond=0)) == "2025-01-02T03:04:05.000000Z"
    assert parse_at(format_at(AT)) == AT
    assert parse_at(format_at(AT)).tzinfo is UTC


def test_shard_for_is_sha256_of_the_id_modulo_the_shard_count() -> None:
    assert shard_for("subject-1", 16) == 4
    assert shard_for("subject-1", 7) == 2
    assert shard_for("홍길동-id", 16) == 13
    assert shard_for("sub_42", 7) == 5
    digest = hashlib.sha256(b"anyone").digest()
    assert shard_for("anyone", 32) == int.from_bytes(digest, "big") % 32


def test_shard_for_puts_no_subject_in_shard_zero_and_spreads_the_rest() -> None:
    assert shard_for(None, 16) == 0
    assert shard_for("x", 1) == 0
    seen = {shard_for(f"subject-{i}", 16) for i in range(500)}
    assert seen == set(range(16))


@pytest.mark.parametrize("shards", [0, -3, True])
def test_shard_for_needs_a_positive_shard_count(shards: int) -> None:
    with pytest.raises(ValueError):
        shard_for("subject-1", shards)
