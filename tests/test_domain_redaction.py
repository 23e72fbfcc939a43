"""The redaction engine: find_spans, redact and redact_pii over whole notes."""

from __future__ import annotations

import random

import pytest

from gatehouse.domain.redaction import (
    KINDS,
    PII_TOKENS,
    Redaction,
    Span,
    find_spans,
    redact,
    redact_pii,
)

PHONES = [
    "010-1234-5678",
    "01012345678",
    "010 1234 5678",
    "010.1234.5678",
    "(010)1234-5678",
    "+82 10-1234-5678",
    "+821012345678",
    "+82 (0)10 1234 5678",
    "82-10-1234-5678",
    "011-123-4567",
    "02-123-4567",
    "02-1234-5678",
    "(02) 123-4567",
    "031-123-4567",
    "0311234567",
    "064-123-4567",
    "070-1234-5678",
    "0505-123-4567",
    "0505-1234-5678",
    "050512345678",
    "+82 2 123 4567",
]
EMAILS = ["hong@example.com", "gil.dong+tag@mail.co.kr", "01012345678@naver.com", "A_B@x.io"]
# Thirteen bare digits count as a registration number when the check digit agrees.
RRNS = ["900101-1234567", "9001011234568", "051231-4123456", "850615 - 2345678"]
FRNS = ["991231-5123456", "020304-7123456"]
CUSTOMS = ["P123456789012", "p123456789012"]
BENIGN = [
    "3층",
    "101동 1203호",
    "문 앞 2번째",
    "경비실에 맡겨 주세요",
    "2024년 5월 3일",
    "오후 2시 30분 이후",
    "12345",
    "B1층 주차장",
    "택배함 7번 (비밀번호는 문자로)",
    "1588-1234 고객센터",
    "주문 수량 10개",
]


def found(text: str) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.kind) for s in find_spans(text)]


def test_the_contract_names_every_kind_with_a_korean_token() -> None:
    assert KINDS == (
        "phone",
        "email",
        "rrn",
        "frn",
        "customs_code",
        "bank_account",
        "card",
        "passport",
        "driver_license",
    )
    assert set(PII_TOKENS) == set(KINDS)
    assert PII_TOKENS["phone"] == "[전화번호]"
    assert PII_TOKENS["frn"] == "[외국인등록번호]"


@pytest.mark.parametrize("phone", PHONES)
def test_phones_are_redacted(phone: str) -> None:
    assert redact_pii(f"도착 전 {phone} 로 전화 주세요") == "도착 전 [전화번호] 로 전화 주세요"


@pytest.mark.parametrize("email", EMAILS)
def test_emails_are_redacted(email: str) -> None:
    assert redact_pii(f"메일: {email}.") == "메일: [이메일]."


@pytest.mark.parametrize("rrn", RRNS)
def test_resident_registration_numbers_are_redacted(rrn: str) -> None:
    assert redact_pii(f"주민번호 {rrn} 입니다") == "주민번호 [주민등록번호] 입니다"


@pytest.mark.parametrize("frn", FRNS)
def test_foreigner_registration_numbers_have_their_own_token(frn: str) -> None:
    assert redact_pii(f"외국인등록번호 {frn} 입니다") == "외국인등록번호 [외국인등록번호] 입니다"


@pytest.mark.parametrize("code", CUSTOMS)
def test_customs_codes_are_redacted(code: str) -> None:
    assert redact_pii(f"통관부호:{code}") == "통관부호:[통관부호]"


@pytest.mark.parametrize("text", BENIGN)
def test_benign_numbers_stay(text: str) -> None:
    assert redact_pii(text) == text
    assert find_spans(text) == ()


def test_each_kind_has_its_own_token() -> None:
    text = "010-1234-5678 / hong@example.com / 900101-1234567 / P123456789012"
    assert redact_pii(text) == " / ".join(
        PII_TOKENS[k] for k in ("phone", "email", "rrn", "customs_code")
    )


def test_a_full_note_keeps_what_delivery_needs() -> None:
    note = (
        "주문번호 20261129-0001234, 송장번호 612345678901 (CJ). 래미안 101동 1203호, "
        "공동현관 비번 #1234*. 연락처 ０１０-１２３４-５６７８, 환불은 카뱅 3333-01-1234567로, "
        "통관부호 P 1234 5678 9012, 메일 abc@kakao.com으로 주세요"
    )
    result = redact(note)
    assert [s.kind for s in result.spans] == ["phone", "bank_account", "customs_code", "email"]
    assert result.text == (
        "주문번호 20261129-0001234, 송장번호 612345678901 (CJ). 래미안 101동 1203호, "
        "공동현관 비번 #1234*. 연락처 [전화번호], 환불은 카뱅 [계좌번호]로, "
        "통관부호 [통관부호], 메일 [이메일]으로 주세요"
    )


def test_spans_are_sorted_non_overlapping_and_on_the_original_text() -> None:
    note = "폰 0 1 0 - 1 2 3 4 - 5 6 7 8 / 메일 a@b.co / 주민 900101-1234567"
    spans = find_spans(note)
    assert [(note[s.start : s.end], s.kind) for s in spans] == [
        ("0 1 0 - 1 2 3 4 - 5 6 7 8", "phone"),
        ("a@b.co", "email"),
        ("900101-1234567", "rrn"),
    ]
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))
    assert all(0.5 <= s.score <= 1.0 + 1e-9 for s in spans)


def test_redact_returns_the_spans_it_replaced() -> None:
    result = redact("전화 010-1234-5678")
    assert result == Redaction("전화 [전화번호]", (Span(3, 16, "phone", result.spans[0].score),))
    assert redact("문 앞에 두세요") == Redaction("문 앞에 두세요", ())


def test_a_text_with_no_digit_and_no_at_sign_has_no_spans() -> None:
    assert find_spans("") == ()
    assert find_spans("경비실에 맡겨 주세요. 감사합니다!") == ()


def test_the_better_reading_wins_where_candidates_overlap() -> None:
    # A bank's name makes an account of what could be a phone-length number...
    assert found("국민은행 123456-78-901234") == [("123456-78-901234", "bank_account")]
    # ...but a customs code stays one code, even with a phone-like run inside it.
    assert found("P 010 1234 5678 9") == [("P 010 1234 5678 9", "customs_code")]


def test_back_to_back_identifiers_all_go() -> None:
    text = "0101234567801098765432P123456789012010-1111-2222"
    assert redact_pii(text) == "[전화번호][전화번호][통관부호][전화번호]"


def test_random_notes_leave_no_pii_and_keep_benign_parts() -> None:
    rng = random.Random(20240724)
    pii = PHONES + EMAILS + RRNS + FRNS + CUSTOMS
    for _ in range(500):
        parts = rng.sample(pii, 3) + rng.sample(BENIGN, 3)
        rng.shuffle(parts)
        note = rng.choice([" ", ", ", " / ", "\n"]).join(parts)
        redacted = redact_pii(note)
        for value in pii:
            if value in parts:
                assert value not in redacted, (note, redacted)
        for benign in BENIGN:
            if benign in parts:
                assert benign in redacted, (note, redacted)
        assert redact_pii(redacted) == redacted  # nothing is left to redact
