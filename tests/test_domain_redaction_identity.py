"""Registration numbers (resident and foreigner), passports and driver's licences."""

from __future__ import annotations

import pytest

from gatehouse.domain.redaction import find_spans
from gatehouse.domain.redaction.identity import (
    ean13_ok,
    registration_checksum_ok,
    valid_birth_date,
)


def found(text: str) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.kind) for s in find_spans(text)]


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("900101-1234567", "rrn"),
        ("051231-4123456", "rrn"),
        ("850615 - 2345678", "rrn"),
        ("850615 2345678", "rrn"),
        ("991231-5123456", "frn"),
        ("020304-7123456", "frn"),
        ("780610-5679552", "frn"),
        ("９００１０１ㅡ１２３４５６７", "rrn"),
    ],
)
def test_registration_numbers_by_their_seventh_digit(number: str, kind: str) -> None:
    assert found(f"등록번호 {number} 입니다") == [(number, kind)]


def test_a_number_without_a_real_birth_date_is_not_one() -> None:
    assert found("주민번호 901301-1234567") == []
    assert found("주민번호 900132-1234567") == []


def test_the_old_check_digit_raises_the_score_but_is_not_required() -> None:
    assert registration_checksum_ok("8708031824852")
    assert not registration_checksum_ok("8708031824853")
    checked, unchecked = find_spans("870803-1824852"), find_spans("870803-1824853")
    assert [s.kind for s in unchecked] == ["rrn"]  # issued since October 2020: no check digit
    assert checked[0].score > unchecked[0].score


def test_thirteen_bare_digits_need_the_check_digit_or_a_cue() -> None:
    assert found("8708031824852") == [("8708031824852", "rrn")]
    assert found("8708031824853") == []  # more likely a tracking number
    assert found("주민번호 8708031824853") == [("8708031824853", "rrn")]


def test_a_korean_barcode_is_not_a_registration_number() -> None:
    assert ean13_ok("8801234567893")
    assert found("8801234567893") == []


def test_birth_dates() -> None:
    assert valid_birth_date("000229")
    assert valid_birth_date("991231")
    assert not valid_birth_date("990230")
    assert not valid_birth_date("991300")


def test_a_tracking_number_with_a_cue_is_not_a_registration_number() -> None:
    assert found("송장번호 9001011234567") == []


@pytest.mark.parametrize(
    "number", ["M12345678", "S12345678", "M123A4567", "m602B6537", "R274D6035"]
)
def test_passports(number: str) -> None:
    assert found(f"여권번호 {number} 입니다") == [(number, "passport")]


def test_a_product_code_shaped_like_a_passport_stays() -> None:
    assert found("상품번호 M12345678") == []
    assert found("모델 AM12345678") == []


@pytest.mark.parametrize(
    "number",
    [
        "11-19-123456-01",
        "28-05-654321-99",
        "서울 19-123456-01",
        "경기 05 123456 12",
        "111912345601",
    ],
)
def test_driver_licences(number: str) -> None:
    assert found(f"운전면허 {number}") == [(number, "driver_license")]


def test_a_licence_needs_its_shape_or_its_cue() -> None:
    assert found("11-19-123456-01") == [("11-19-123456-01", "driver_license")]
    assert found("송장 111912345601") == []
    assert found("111912345601") == []
