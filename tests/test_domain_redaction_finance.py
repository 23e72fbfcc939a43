"""Bank accounts (told by the bank's name) and payment cards (told by Luhn's check)."""

from __future__ import annotations

import pytest

from gatehouse.domain.redaction import find_spans
from gatehouse.domain.redaction.finance import card_prefix_ok, luhn_ok


def found(text: str) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.kind) for s in find_spans(text)]


@pytest.mark.parametrize(
    ("text", "account"),
    [
        ("카뱅 3333-01-1234567", "3333-01-1234567"),
        ("농협 302-1234-5678-91", "302-1234-5678-91"),
        ("KB국민 123456-78-901234", "123456-78-901234"),
        ("신한은행 110-123-456789", "110-123-456789"),
        ("토뱅 1000 1234 5678", "1000 1234 5678"),
        ("우리 1002-123-456789", "1002-123-456789"),
        ("환불계좌는 123-456789-01234 입니다", "123-456789-01234"),
        ("40078595006614 KEB하나로 입금해 주세요", "40078595006614"),
        ("예금주 홍길동 우체국 123456-02-123456", "123456-02-123456"),
        ("국민 123456 78 901234 2개", "123456 78 901234"),
    ],
)
def test_accounts_are_found_by_the_bank_beside_them(text: str, account: str) -> None:
    assert found(text) == [(account, "bank_account")]


@pytest.mark.parametrize(
    "text",
    [
        "110-123-456789",
        "주문번호 1234567890123",
        "송장번호 612345678901",
        "우체국 등기 6015807041231 배송완료",
        "우리 집 앞에 두고 가세요 1002-123-456789",
        "사업자등록번호 123-45-67890",
    ],
)
def test_a_number_without_a_bank_is_not_an_account(text: str) -> None:
    assert found(text) == []


def test_a_layout_only_one_bank_uses_needs_no_bank_name() -> None:
    assert found("3333-01-1234567로 보내 주세요") == [("3333-01-1234567", "bank_account")]
    assert found("302-1234-5678-91로 입금") == [("302-1234-5678-91", "bank_account")]
    assert found("송장번호 3333-01-1234567") == []


def test_a_phone_number_near_a_bank_word_stays_a_phone() -> None:
    assert found("환불은 010-1234-5678로 연락 주세요") == [("010-1234-5678", "phone")]


@pytest.mark.parametrize(
    "card",
    [
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "4111111111111111",
        "5252-6171-3194-4899",
        "3782 822463 10005",
        "6288 5252 1817 5558",
        "3548-5152-1784-5031",
        "９４２０３８３４１３２０９８７８",
    ],
)
def test_luhn_valid_cards_are_found(card: str) -> None:
    assert found(f"카드번호 {card} 결제") == [(card, "card")]


@pytest.mark.parametrize(
    "text",
    [
        "카드번호 4111-1111-1111-1112",  # fails Luhn
        "카드 1234 5678 9012 3456",  # no issuer starts so
        "주문번호 4111111111111111",
        "2026112912345678",
        "카드 끝자리 4056로 결제했어요",
    ],
)
def test_other_long_numbers_are_not_cards(text: str) -> None:
    assert [kind for _, kind in found(text)] == []


def test_luhn_and_prefixes() -> None:
    assert luhn_ok("4111111111111111")
    assert luhn_ok("378282246310005")
    assert not luhn_ok("4111111111111112")
    assert card_prefix_ok("4111111111111111")
    assert card_prefix_ok("378282246310005")
    assert card_prefix_ok("2221000000000009")
    assert not card_prefix_ok("2026112912345678")
    assert not card_prefix_ok("41111111111111")  # Visa has no 14-digit numbers
