"""The labelled corpus of buyer notes behind bench/redaction.py, and its scoring rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.redaction import CLEAN_GROUPS, TYPES, Tally, load, match
from bench.redaction_corpus import (
    DATA,
    HARD_CASES,
    hard_split,
    load_jsonl,
    luhn_ok,
    only_digits,
    registration_date,
    write,
)

SPLITS = ("dev", "test")
GROUPS = {"pii", "numbers_only", "hard", *CLEAN_GROUPS}


def records(split: str) -> list[dict[str, object]]:
    """The raw JSON records of one split."""
    path = DATA / f"{split}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("split", SPLITS)
def test_every_line_is_a_note_with_sound_spans(split: str) -> None:
    notes = records(split)
    assert notes
    for note in notes:
        assert set(note) == {"id", "text", "spans", "group"}
        assert note["group"] in GROUPS
        text = note["text"]
        assert isinstance(text, str) and text
        spans = note["spans"]
        assert isinstance(spans, list)
        previous_end = 0
        for span in sorted(spans, key=lambda s: s["start"]):
            assert set(span) == {"start", "end", "type"}
            assert span["type"] in TYPES
            assert 0 <= span["start"] < span["end"] <= len(text)
            assert span["start"] >= previous_end, f"overlapping spans in {note['id']}"
            previous_end = span["end"]
            value = text[span["start"] : span["end"]]
            assert value == value.strip(), f"a gold span takes in spaces in {note['id']}"


def gold_values(kind: str) -> list[str]:
    """Every gold value of one type, in both splits."""
    values = []
    for split in SPLITS:
        for note in load(split):
            values += [note.text[s:e] for s, e, t in note.spans if t == kind]
    return values


def test_every_gold_card_passes_luhn() -> None:
    cards = gold_values("card")
    assert len(cards) > 100
    for card in cards:
        digits = only_digits(card)
        assert len(digits) in (15, 16) and luhn_ok(digits), card


@pytest.mark.parametrize(("kind", "seventh"), [("rrn", "1234"), ("frn", "5678")])
def test_every_gold_registration_number_has_a_real_date(kind: str, seventh: str) -> None:
    numbers = gold_values(kind)
    assert len(numbers) > 50
    for number in numbers:
        digits = only_digits(number)
        assert len(digits) == 13 and registration_date(digits) is not None, number
        assert digits[6] in seventh, number


def test_luhn_check() -> None:
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")


def test_dev_and_test_share_no_note() -> None:
    dev, test = load("dev"), load("test")
    assert not {n.id for n in dev} & {n.id for n in test}
    assert not {n.text for n in dev} & {n.text for n in test}
    assert len({n.text for n in dev + test}) == len(dev) + len(test)


def test_hard_cases_are_split_by_their_fixed_rule() -> None:
    hard = load_jsonl(HARD_CASES)
    assert len(hard) >= 150
    for split in SPLITS:
        ids = {n.id for n in load(split) if n.group in ("hard", "hard_negative")}
        assert ids == {n.id for n in hard if hard_split(n.id) == split}


def test_the_generator_reproduces_the_files_byte_for_byte(tmp_path: Path) -> None:
    counts = write(tmp_path)
    for split in SPLITS:
        assert (tmp_path / f"{split}.jsonl").read_bytes() == (DATA / f"{split}.jsonl").read_bytes()
        assert counts[split] == len(records(split))


def test_notes_without_identifiers_have_no_spans() -> None:
    for split in SPLITS:
        for note in load(split):
            if note.group in CLEAN_GROUPS:
                assert note.spans == (), note.id
            else:
                assert note.spans, note.id


def test_sizes_of_the_splits() -> None:
    dev, test = load("dev"), load("test")
    assert len(dev) + len(test) >= 1500
    assert sum(n.group == "numbers_only" for n in test) >= 300
    for kind in TYPES:
        assert sum(t == kind for n in test for _, _, t in n.spans) >= 30, kind


def counts(tally: Tally) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """A tally as plain dicts, for comparison."""
    return dict(tally.tp), dict(tally.fp), dict(tally.fn)


def test_match_exact_span_is_a_true_positive() -> None:
    assert counts(match([(0, 13, "phone")], [(0, 13, "phone")])) == ({"phone": 1}, {}, {})


def test_match_needs_half_of_the_gold_span() -> None:
    # Gold is 10 long: an overlap of 5 is enough, 4 is not.
    assert counts(match([(10, 20, "card")], [(15, 30, "card")])) == ({"card": 1}, {}, {})
    assert counts(match([(10, 20, "card")], [(16, 30, "card")])) == (
        {},
        {"card": 1},
        {"card": 1},
    )


def test_match_needs_the_same_type() -> None:
    assert counts(match([(0, 14, "bank_account")], [(0, 14, "phone")])) == (
        {},
        {"phone": 1},
        {"bank_account": 1},
    )


def test_match_uses_each_gold_span_once() -> None:
    # Two predictions over one gold span: one true positive, one false positive.
    found = match([(0, 10, "rrn")], [(0, 10, "rrn"), (2, 9, "rrn")])
    assert counts(found) == ({"rrn": 1}, {"rrn": 1}, {})


def test_match_a_wider_prediction_counts() -> None:
    # A prediction that takes in the particle as well still covers the whole identifier.
    assert counts(match([(3, 16, "email")], [(3, 18, "email")])) == ({"email": 1}, {}, {})


def test_match_empty_and_missed() -> None:
    assert counts(match([], [])) == ({}, {}, {})
    assert counts(match([(0, 5, "passport"), (8, 12, "email")], [(8, 12, "email")])) == (
        {"email": 1},
        {},
        {"passport": 1},
    )


def test_tally_scores() -> None:
    tally = Tally()
    tally.add(match([(0, 10, "phone"), (20, 30, "phone")], [(0, 10, "phone"), (40, 45, "card")]))
    precision, recall, f1 = tally.scores("phone")
    assert (precision, recall) == (1.0, 0.5)
    assert f1 == pytest.approx(2 / 3)
    precision, recall, f1 = tally.scores()
    assert (precision, recall) == (0.5, 0.5)
    assert f1 == pytest.approx(0.5)


def test_tally_cells_leave_undefined_scores_out() -> None:
    tally = match([(0, 13, "customs_code")], [(20, 30, "business_registration")])
    assert tally.cells("customs_code") == (None, 0.0, 0.0)
    assert tally.cells("business_registration") == (0.0, None, None)
