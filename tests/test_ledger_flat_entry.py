"""The fast encoder of flat payloads writes exactly the bytes the generic one does.

The transfer path's entries (allowed and refused, with or without a cited provision) are
generated with every text Hypothesis can think of, and each fast entry must equal the entry
:func:`make_entry` builds: the same hash, the same stored payload text, the same fields. What
the fast path does not take (floats, nested lists, str subclasses, lone surrogates) goes
through the generic encoder and fails or succeeds exactly as it does.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatehouse.ledger.entry import GENESIS_HASH, format_at, make_entry, payload_text
from gatehouse.ledger.flat_entry import flat_payload_text, make_flat_entry

AT = datetime(2026, 11, 30, 17, 0, 0, 123456, tzinfo=UTC)

# Any Unicode text, lone surrogates included (those must fail alike on both paths), with the
# characters JSON escapes or writes as themselves drawn often.
SPECIAL = '"\\/\n\t\x00\x1f\x7f\u2028\ud800가é😀'
CHARACTERS = st.one_of(st.characters(), st.sampled_from(SPECIAL))
TEXT = st.text(CHARACTERS, max_size=12)
IDS = st.one_of(st.none(), TEXT)
HASHES = st.one_of(st.just(GENESIS_HASH), st.text("0123456789abcdef", min_size=64, max_size=64))
PROVISION = st.one_of(
    st.none(),
    st.fixed_dictionaries({"key": TEXT, "citation": TEXT, "text": TEXT}),
)
TRANSFER_PAYLOADS = st.fixed_dictionaries(
    {
        "transfer_id": TEXT,
        "order_id": TEXT,
        "purpose": TEXT,
        "flow": TEXT,
        "country": IDS,
        "basis": IDS,
        "notice_hash": IDS,
        "fields": st.lists(TEXT, max_size=6),
        "refusal": IDS,
        "legal_provision": PROVISION,
    }
)
FLAT_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    TEXT,
    st.lists(TEXT, max_size=4),
    st.tuples(TEXT, TEXT),
    st.dictionaries(TEXT, st.one_of(st.none(), TEXT), max_size=4),
)
FLAT_PAYLOADS = st.dictionaries(TEXT, FLAT_VALUES, max_size=8)


def both(
    payload: Any,
    *,
    shard: int = 3,
    seq: int = 41,
    kind: str = "transfer.allowed",
    at: datetime = AT,
    subject_id: str | None = "sub_1",
    recipient_id: str | None = "rec_1",
    prev_hash: str = GENESIS_HASH,
) -> None:
    """Both encoders on the same arguments: equal results, or the same error."""
    try:
        expected = make_entry(shard, seq, kind, at, subject_id, recipient_id, payload, prev_hash)
    except ValueError as generic_error:
        with pytest.raises(ValueError) as fast_error:
            make_flat_entry(
                shard, seq, kind, at, format_at(at), subject_id, recipient_id, payload, prev_hash
            )
        assert str(fast_error.value) == str(generic_error)
        return
    fast, text = make_flat_entry(
        shard, seq, kind, at, format_at(at), subject_id, recipient_id, payload, prev_hash
    )
    assert fast == expected
    assert fast.canonical() == expected.canonical()
    assert text == payload_text(expected.payload)
    assert type(fast.payload) is dict and fast.payload is not payload


@settings(max_examples=400, deadline=None)
@given(
    payload=TRANSFER_PAYLOADS,
    allowed=st.booleans(),
    shard=st.integers(0, 63),
    seq=st.integers(0, 2**40),
    subject_id=IDS,
    recipient_id=IDS,
    prev_hash=HASHES,
)
def test_every_transfer_entry_encodes_as_the_generic_encoder_does(
    payload: dict[str, Any],
    allowed: bool,
    shard: int,
    seq: int,
    subject_id: str | None,
    recipient_id: str | None,
    prev_hash: str,
) -> None:
    kind = "transfer.allowed" if allowed else "transfer.refused"
    both(
        payload,
        shard=shard,
        seq=seq,
        kind=kind,
        subject_id=subject_id,
        recipient_id=recipient_id,
        prev_hash=prev_hash,
    )


@settings(max_examples=300, deadline=None)
@given(payload=FLAT_PAYLOADS, kind=TEXT)
def test_every_flat_payload_encodes_as_the_generic_encoder_does(
    payload: dict[str, Any], kind: str
) -> None:
    both(payload, kind=kind)


class Basis(enum.StrEnum):
    CONSENT = "SEPARATE_CONSENT"


@pytest.mark.parametrize(
    "payload",
    [
        {"basis": Basis.CONSENT},
        {"n": 1.5},
        {"nested": [["a"]]},
        {"nested": {"deep": {"deeper": "x"}}},
        {"list": [1, 2]},
        {"x": b"raw"},
        {1: "int key"},
        {"mixed": {1: "a", "b": "c"}},
        {"mixed": {1: "a"}},
        {2: "b", "a": "c"},
    ],
)
def test_what_the_fast_path_does_not_take_goes_the_generic_way(payload: dict[Any, Any]) -> None:
    assert flat_payload_text(payload) is None
    both(payload)


def test_a_lone_surrogate_fails_as_the_generic_encoder_fails() -> None:
    # Its text encodes, but not as UTF-8: the entry falls to the generic encoder, which raises.
    assert flat_payload_text({"x": "\ud800"}) is not None
    both({"x": "\ud800"})
    with pytest.raises(ValueError, match="lone surrogate"):
        make_flat_entry(0, 0, "k", AT, format_at(AT), None, None, {"x": "\ud800"}, GENESIS_HASH)


@pytest.mark.parametrize(
    "change",
    [
        {"kind": ""},
        {"kind": Basis.CONSENT},
        {"subject_id": 5},
        {"seq": -1},
        {"prev_hash": "A" * 64},
        {"at": AT.astimezone(timezone(timedelta(hours=9)))},
    ],
)
def test_other_fields_are_checked_as_the_generic_encoder_checks_them(
    change: dict[str, Any],
) -> None:
    both({"transfer_id": "trf_1", "fields": ["name"]}, **change)


def test_a_mapping_that_is_not_a_dict_goes_the_generic_way() -> None:
    class Frozen(dict[str, str]):
        pass

    assert flat_payload_text(Frozen(a="b")) is None
    both(Frozen(a="b"))
