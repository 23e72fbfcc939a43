"""Korean phone numbers in every spelling; order, tracking and product numbers stay."""

from __future__ import annotations

import pytest

from gatehouse.domain.redaction import find_spans
from gatehouse.domain.redaction.phone import tile_run


def phones(text: str) -> list[str]:
    return [text[s.start : s.end] for s in find_spans(text) if s.kind == "phone"]


@pytest.mark.parametrize(
    "phone",
    [
        "０１０-１２３４-５６７８",
        "010ㅡ1234ㅡ5678",
        "010 1234 5678",
        "010-1234-5678",
        "01012345678",
        "010.1234.5678",
        "010 - 1234 - 5678",
        "0 1 0 1 2 3 4 5 6 7 8",
        "+82 10-1234-5678",
        "+82-10-1234-5678",
        "+82 (0)10 1234 5678",
        "+82)10-1234-5678",
        "0082 10 1234 5678",
        "82-10-1234-5678",
        "0505-123-4567",
        "０５０５ㅡ１２３ㅡ４５６７",
        "050212345678",
        "02)123-4567",
        "(02) 123-4567",
        "02-1234-5678",
        "031-123-4567",
        "064 123 4567",
        "070-1234-5678",
        "080-123-4567",
        "011-123-4567",
        "019-1234-5678",
    ],
)
def test_phone_numbers_are_found_whole(phone: str) -> None:
    assert phones(f"연락처는 {phone}로 부탁드려요") == [phone]


@pytest.mark.parametrize(
    "text",
    [
        "주문번호 20261129-0001234",
        "주문번호 2026112912345678",
        "송장번호 612345678901",
        "CJ 6123-4567-8901",
        "한진 555855226949 배송완료",
        "상품번호 1234567890",
        "상품코드 0312345678",
        "주문번호 89G020164451",
        "공동현관 비번 #1234*",
        "101동 1203호",
        "35,000원",
        "2026-11-29 14:30",
        "1588-1234 고객센터",
        "우편번호 06236",
        "010-1234",
        "012-345-6789",
    ],
)
def test_numbers_that_are_not_phones_stay(text: str) -> None:
    assert phones(text) == []


def test_a_phone_glued_to_a_floor_number_still_goes() -> None:
    assert phones("010-1234-56783층") == ["010-1234-5678"]
    assert phones("+82 10-1234-5678101동") == ["+82 10-1234-5678"]


def test_phones_typed_back_to_back_are_split() -> None:
    assert phones("0101234567801098765432") == ["01012345678", "01098765432"]
    assert phones("010-1234-5678010-9876-5432") == ["010-1234-5678", "010-9876-5432"]
    assert phones("P123456789012010-1234-5678") == ["010-1234-5678"]


def test_a_number_is_found_after_one_whose_last_group_looks_like_a_prefix() -> None:
    # "0502" ends the first number and reads as a safe-number prefix running into the next
    # one: a candidate that swallows the next number's start must not hide it.
    text = "+82 10-0000-0502 010-0000-0000"
    assert phones(text) == ["+82 10-0000-0502", "010-0000-0000"]
    assert phones("010-1234-0507 010-2345-6789") == ["010-1234-0507", "010-2345-6789"]


def test_tiling_needs_the_whole_run() -> None:
    assert tile_run("0101234567801098765432") == ((0, 11, True), (11, 22, True))
    assert tile_run("P12345678901201012345678") == ((0, 13, False), (13, 24, True))
    assert tile_run("2026112901012345678") is None
    assert tile_run("01012345678") is None  # one number is the plain matcher's job


def test_a_phone_cue_raises_and_an_order_cue_lowers() -> None:
    def score(text: str) -> float:
        return max(s.score for s in find_spans(text))

    assert score("연락처 010-1234-5678") > score("010-1234-5678")
    assert phones("주문번호 010-1234-5678") == []
    # An order number earlier in the note does not govern a phone number after it.
    assert phones("주문번호 20261129-0001234 연락처 010-1234-5678") == ["010-1234-5678"]
    assert phones("010-6566-6965!! 주문번호 20260723-70835") == ["010-6566-6965"]
