"""Masking: the Korean display conventions (홍*동, 010-****-5678) and total functions."""

from __future__ import annotations

import pytest

from gatehouse.domain.masking import (
    family_name,
    hide_phone,
    mask_address,
    mask_customs_code,
    mask_email,
    mask_name,
    mask_name_further,
    mask_phone,
    mask_postal_code,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("홍길동", "홍*동"),
        ("홍길", "홍*"),
        ("남궁민수", "남**수"),
        ("선우 용녀", "선**녀"),
        ("John Smith", "J*** S****"),
        ("Mary Jane Watson", "M*** J*** W*****"),
        ("홍", "*"),
        ("", ""),
    ],
)
def test_mask_name(name: str, expected: str) -> None:
    assert mask_name(name) == expected


@pytest.mark.parametrize(
    ("name", "family", "further"),
    [
        ("홍길동", "홍", "홍**"),
        ("남궁민수", "남궁", "남궁**"),
        ("남궁", "남", "남**"),
        ("John Smith", "Smith", "** Smith"),
        ("Madonna", "Madonna", "M**"),
    ],
)
def test_family_name_and_further_mask(name: str, family: str, further: str) -> None:
    assert family_name(name) == family
    assert mask_name_further(name) == further


@pytest.mark.parametrize(
    ("phone", "masked", "hidden"),
    [
        ("+821012345678", "010-****-5678", "010-****-****"),
        ("+8221234567", "02-***-4567", "02-***-****"),
        ("+82311234567", "031-***-4567", "031-***-****"),
        ("+8250512345678", "0505-****-5678", "0505-****-****"),
        ("0505-1234-5678", "0505-****-5678", "0505-****-****"),
        ("+16502530000", "+1 ******0000", "+1 **********"),
    ],
)
def test_mask_and_hide_phone(phone: str, masked: str, hidden: str) -> None:
    assert mask_phone(phone) == masked
    assert hide_phone(phone) == hidden


@pytest.mark.parametrize("junk", ["", "abc", "12", "garbage12345"])
def test_phone_masks_never_raise_and_keep_at_most_four_digits(junk: str) -> None:
    masked = mask_phone(junk)
    assert sum(ch.isdigit() for ch in masked) <= 4
    assert not any(ch.isdigit() for ch in hide_phone(junk))


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("hong@example.com", "h***@example.com"),
        ("h@example.com", "h***@example.com"),
        ("gildong.hong@mail.co.kr", "g***@mail.co.kr"),
        ("not-an-email", "***"),
    ],
)
def test_mask_email(email: str, expected: str) -> None:
    assert mask_email(email) == expected


def test_mask_customs_code() -> None:
    assert mask_customs_code("P123456789012") == "P*********012"
    assert mask_customs_code("P12") == "***"


@pytest.mark.parametrize(
    ("line1", "expected"),
    [
        ("서울특별시 강남구 테헤란로 152", "서울특별시 강남구 테헤란로 ***"),
        (
            "서울특별시 강남구 테헤란로 152 (역삼동, 강남파이낸스센터)",
            "서울특별시 강남구 테헤란로 ***",
        ),
        ("부산광역시 금정구 백제고분로35번길 7-2", "부산광역시 금정구 백제고분로35번길 ***"),
        ("서울특별시 중구 세종대로 지하 2", "서울특별시 중구 세종대로 ***"),
        ("서울 강남구 역삼동 123-4", "서울 강남구 역삼동 ***"),
    ],
)
def test_mask_address(line1: str, expected: str) -> None:
    assert mask_address(line1) == expected


def test_mask_postal_code() -> None:
    assert mask_postal_code("06236") == "062**"
