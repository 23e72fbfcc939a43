"""Redaction of personal data in free text: PII is replaced, ordinary numbers stay."""

from __future__ import annotations

import random

import pytest

from gatehouse.domain.redaction import PII_TOKENS, redact_pii

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
RRNS = ["900101-1234567", "9001011234567", "051231-4123456", "850615 - 2345678", "991231-5123456"]
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


@pytest.mark.parametrize("phone", PHONES)
def test_phones_are_redacted(phone: str) -> None:
    assert redact_pii(f"도착 전 {phone} 로 전화 주세요") == "도착 전 [전화번호] 로 전화 주세요"


@pytest.mark.parametrize("email", EMAILS)
def test_emails_are_redacted(email: str) -> None:
    assert redact_pii(f"메일: {email}.") == "메일: [이메일]."


@pytest.mark.parametrize("rrn", RRNS)
def test_resident_registration_numbers_are_redacted(rrn: str) -> None:
    assert redact_pii(f"주민번호 {rrn} 입니다") == "주민번호 [주민등록번호] 입니다"


@pytest.mark.parametrize("code", CUSTOMS)
def test_customs_codes_are_redacted(code: str) -> None:
    assert redact_pii(f"통관부호:{code}") == "통관부호:[통관부호]"


@pytest.mark.parametrize("text", BENIGN)
def test_benign_numbers_stay(text: str) -> None:
    assert redact_pii(text) == text


def test_each_kind_has_its_own_token() -> None:
    text = "010-1234-5678 / hong@example.com / 900101-1234567 / P123456789012"
    assert redact_pii(text) == " / ".join(
        PII_TOKENS[k] for k in ("phone", "email", "rrn", "customs_code")
    )


def test_random_notes_leave_no_pii_and_keep_benign_parts() -> None:
    rng = random.Random(20240724)
    pii = PHONES + EMAILS + RRNS + CUSTOMS
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
