"""Normalisation before matching, and the map back to the original offsets."""

from __future__ import annotations

import pytest

from gatehouse.domain.redaction import Normalised, normalise


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("０１０-１２３４-５６７８", "010-1234-5678"),
        ("010ㅡ1234ㅡ5678", "010-1234-5678"),
        ("010–1234—5678", "010-1234-5678"),
        ("010ー1234−5678", "010-1234-5678"),
        ("０１０\u30001234\u00a05678", "010 1234 5678"),
        ("ｈｏｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ", "hong@example.com"),
        ("（０２）１２３-４５６７", "(02)123-4567"),
    ],
)
def test_look_alike_characters_fold_one_to_one(text: str, folded: str) -> None:
    norm = normalise(text)
    assert norm.text == folded
    assert norm.index is None  # nothing dropped: offsets are the same in both texts
    assert norm.original(0, len(folded)) == (0, len(text))


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("010 - 1234 - 5678", "010-1234-5678"),
        ("P - 1234-5678-9012", "P-1234-5678-9012"),
        ("0 1 0 1 2 3 4", "0101234"),
        ("010\u200b1234\ufeff5678", "01012345678"),
        ("850615 \u2013 2345678", "850615-2345678"),
    ],
)
def test_padding_and_zero_width_characters_are_dropped(text: str, folded: str) -> None:
    norm = normalise(text)
    assert norm.text == folded
    assert norm.index is not None
    assert len(norm.index) == len(folded) + 1
    for i, ch in enumerate(folded):
        assert normalise(text[norm.index[i]]).text == ch
    assert norm.original(0, len(folded)) == (0, len(text))


def test_spaces_between_numbers_stay() -> None:
    for text in ("010 1234 5678", "101동 1203호", "12 3", "3층 2 호", "a - b", "문 - 앞"):
        assert normalise(text).text == text


def test_a_slice_maps_back_to_the_original_characters() -> None:
    text = "폰: 0 1 0 - 1 2 3 4 - 5 6 7 8 끝"
    norm = normalise(text)
    start = norm.text.index("010")
    start_o, end_o = norm.original(start, start + len("010-1234-5678"))
    assert text[start_o:end_o] == "0 1 0 - 1 2 3 4 - 5 6 7 8"
    assert norm.original(3, 3) == (norm.index[3], norm.index[3]) if norm.index else True


def test_the_common_case_costs_no_map() -> None:
    assert normalise("경비실에 맡겨 주세요 010-1234-5678") == Normalised(
        "경비실에 맡겨 주세요 010-1234-5678"
    )
