"""Contact normalisers: many spellings in, one canonical form out, specific error codes."""

from __future__ import annotations

import pytest

from gatehouse.domain.contact import (
    RoadAddress,
    format_kr_national,
    normalise_country,
    normalise_customs_code,
    normalise_email,
    normalise_kr_mobile,
    normalise_locale,
    normalise_person_name,
    normalise_phone,
    normalise_road_address,
    split_road_address,
)
from gatehouse.domain.errors import InvalidInput


def _code(exc: pytest.ExceptionInfo[InvalidInput]) -> str:
    return exc.value.code


@pytest.mark.parametrize(
    "raw",
    [
        "010-1234-5678",
        "01012345678",
        "010 1234 5678",
        "(010)1234-5678",
        "010.1234.5678",
        "+82 10-1234-5678",
        "+821012345678",
        "+82 010-1234-5678",
        "82-10-1234-5678",
        "  010-1234-5678  ",
    ],
)
def test_kr_mobile_spellings_normalise_to_e164(raw: str) -> None:
    assert normalise_kr_mobile(raw) == "+821012345678"


@pytest.mark.parametrize(
    "raw",
    [
        "010-1234-567",  # one digit short
        "010-1234-56789",
        "02-123-4567",  # Seoul landline given as a mobile
        "031-123-4567",
        "070-1234-5678",  # VoIP
        "0505-1234-5678",  # safe number, not a subscriber's mobile
        "+1 650-253-0000",
        "",
        "   ",
        "phone",
        "010-1234-5678" * 5,
    ],
)
def test_kr_mobile_rejects_non_mobiles(raw: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        normalise_kr_mobile(raw)
    assert _code(exc) == "invalid_phone"


def test_kr_mobile_error_does_not_echo_the_number() -> None:
    with pytest.raises(InvalidInput) as exc:
        normalise_kr_mobile("02-987-6543")
    assert "987" not in exc.value.message
    assert "6543" not in exc.value.message


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+1 650-253-0000", None, "+16502530000"),
        ("(650) 253-0000", "US", "+16502530000"),
        ("(650) 253-0000", "us", "+16502530000"),
        ("+86 138 0013 8000", None, "+8613800138000"),
        ("+81 3-1234-5678", None, "+81312345678"),
        ("02-123-4567", "KR", "+8221234567"),
        ("010-1234-5678", "KR", "+821012345678"),
    ],
)
def test_normalise_phone_any_country(raw: str, region: str | None, expected: str) -> None:
    assert normalise_phone(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "region"),
    [("650-253-0000", None), ("+1 000-000-0000", None), ("12", "US"), ("", None), ("x", "KR")],
)
def test_normalise_phone_rejects(raw: str, region: str | None) -> None:
    with pytest.raises(InvalidInput) as exc:
        normalise_phone(raw, region)
    assert _code(exc) == "invalid_phone"


def test_normalise_phone_rejects_bad_region() -> None:
    with pytest.raises(InvalidInput) as exc:
        normalise_phone("650-253-0000", "USA")
    assert _code(exc) == "invalid_country"


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+821012345678", "010-1234-5678"),
        ("+8221234567", "02-123-4567"),
        ("+82212345678", "02-1234-5678"),
        ("+82311234567", "031-123-4567"),
        ("+8250512345678", "0505-1234-5678"),
    ],
)
def test_format_kr_national(e164: str, expected: str) -> None:
    assert format_kr_national(e164) == expected


def test_format_kr_national_rejects_foreign_numbers() -> None:
    with pytest.raises(InvalidInput):
        format_kr_national("+16502530000")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("hong@example.com", "hong@example.com"),
        (" Hong.Gil@EXAMPLE.Com ", "Hong.Gil@example.com"),
        ("a+tag@Mail.Example.CO.KR", "a+tag@mail.example.co.kr"),
    ],
)
def test_normalise_email(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "hong", "hong@", "@example.com", "hong@@example.com", "hong@exa mple.com"]
)
def test_normalise_email_rejects(raw: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        normalise_email(raw)
    assert _code(exc) == "invalid_email"


def test_email_error_does_not_echo_the_address() -> None:
    with pytest.raises(InvalidInput) as exc:
        normalise_email("secretperson@exa mple.com")
    assert "secretperson" not in exc.value.message


@pytest.mark.parametrize(
    ("raw", "expected"), [("KR", "KR"), ("kr", "KR"), (" us ", "US"), ("Jp", "JP"), ("cn", "CN")]
)
def test_normalise_country(raw: str, expected: str) -> None:
    assert normalise_country(raw) == expected


@pytest.mark.parametrize("raw", ["KOR", "Korea", "대한민국", "XX", "", "K", "1R", "ＫＲ"])
def test_normalise_country_rejects(raw: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        normalise_country(raw)
    assert _code(exc) == "invalid_country"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("P123456789012", "P123456789012"),
        ("p123456789012", "P123456789012"),
        ("  P123456789012 ", "P123456789012"),
    ],
)
def test_normalise_customs_code(raw: str, expected: str) -> None:
    assert normalise_customs_code(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "P12345678901",  # 11 digits
        "P1234567890123",
        "123456789012",
        "Q123456789012",
        "P-123456789012",
        "P 123456789012",
        "P12345678901a",
        "P１２３４５６７８９０１２",  # full-width digits
        "",
    ],
)
def test_normalise_customs_code_rejects(raw: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        normalise_customs_code(raw)
    assert _code(exc) == "invalid_customs_code"


@pytest.mark.parametrize(
    "line1",
    [
        "서울특별시 강남구 테헤란로 152",
        "서울특별시 강남구 테헤란로 152 (역삼동, 강남파이낸스센터)",
        "서울특별시 강남구 학동2길 12-3",
        "서울특별시 중구 세종대로 110",
        "서울특별시 종로구 종로1가 24",
        "서울특별시 중구 세종대로 지하 2",
        "부산광역시 금정구 백제고분로35번길 7",
        "경기도 성남시 분당구 판교역로 235, 에이치스퀘어",
        "서울 강남구 테헤란로152",
    ],
)
def test_road_addresses_accepted(line1: str) -> None:
    address = normalise_road_address("06236", line1, None)
    assert address == RoadAddress(postal_code="06236", line1=line1, line2=None)


@pytest.mark.parametrize(
    "line1",
    [
        "서울 강남구 역삼동 123-4",  # lot-number (지번) address
        "경기도 양평군 양평읍 양근리 123",
        "서울특별시 강남구 역삼동 산 12-3",
        "서울특별시 강남구 테헤란로",  # no building number
        "123 Main Street",
        "",
    ],
)
def test_non_road_addresses_rejected(line1: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        normalise_road_address("06236", line1, None)
    assert _code(exc) == "invalid_address"


def test_road_address_message_gives_an_example() -> None:
    with pytest.raises(InvalidInput) as exc:
        normalise_road_address("06236", "서울 강남구 역삼동 123-4", None)
    assert "서울특별시 강남구 테헤란로 152" in exc.value.message
    assert "역삼동" not in exc.value.message


def test_road_address_is_cleaned() -> None:
    address = normalise_road_address(" 06236 ", "  서울특별시   강남구 테헤란로  152 ", " 3층 ")
    assert address == RoadAddress("06236", "서울특별시 강남구 테헤란로 152", "3층")
    assert normalise_road_address("06236", "서울 강남구 테헤란로 152", "   ").line2 is None


@pytest.mark.parametrize("postal", ["1234", "123456", "0623a", "", "06-236"])
def test_postal_code_rejected(postal: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        normalise_road_address(postal, "서울특별시 강남구 테헤란로 152", None)
    assert _code(exc) == "invalid_postal_code"


def test_address_length_and_control_characters() -> None:
    with pytest.raises(InvalidInput) as exc:
        normalise_road_address("06236", "서울 강남구 테헤란로 152 " + "가" * 200, None)
    assert _code(exc) == "invalid_address"
    with pytest.raises(InvalidInput) as exc:
        normalise_road_address("06236", "서울 강남구 테헤란로 152", "3층" * 101)
    assert _code(exc) == "invalid_address"
    with pytest.raises(InvalidInput) as exc:
        normalise_road_address("06236", "서울 강남구 테헤란로 152\x00", None)
    assert _code(exc) == "invalid_address"


def test_split_road_address() -> None:
    assert split_road_address("서울특별시 강남구 테헤란로 152 (역삼동)") == (
        "서울특별시 강남구 테헤란로",
        "152",
    )
    assert split_road_address("서울 강남구 역삼동 123-4") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ko", "ko"),
        ("KO", "ko"),
        ("ko-KR", "ko-KR"),
        ("ko_KR", "ko-KR"),
        ("ko_kr", "ko-KR"),
        ("en", "en"),
        ("en-US", "en-US"),
        ("fil-PH", "fil-PH"),
    ],
)
def test_normalise_locale(raw: str, expected: str) -> None:
    assert normalise_locale(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "k", "korean", "ko-KOR", "ko-XX", "ko-", "xx", "ko KR", "zh-Hant-TW", "ko-KR-x"]
)
def test_normalise_locale_rejects(raw: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        normalise_locale(raw)
    assert _code(exc) == "invalid_locale"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("홍길동", "홍길동"),
        ("  John   Smith ", "John Smith"),
        ("남궁\u3000민수", "남궁 민수"),  # ideographic space
        ("\u1112\u1169\u11bc길동", "홍길동"),  # decomposed Hangul from some keyboards
        ("가" * 100, "가" * 100),
    ],
)
def test_normalise_person_name(raw: str, expected: str) -> None:
    assert normalise_person_name(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "가" * 101, "홍\x00길동", "홍\n길동", "홍\u202e길동"])
def test_normalise_person_name_rejects(raw: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        normalise_person_name(raw)
    assert _code(exc) == "invalid_name"
