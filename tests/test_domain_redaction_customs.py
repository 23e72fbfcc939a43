"""Personal customs clearance codes."""

from __future__ import annotations

import pytest

from gatehouse.domain.redaction import find_spans


def codes(text: str) -> list[str]:
    return [text[s.start : s.end] for s in find_spans(text) if s.kind == "customs_code"]


@pytest.mark.parametrize(
    "code",
    [
        "P123456789012",
        "p123456789012",
        "P 1234 5678 9012",
        "P-1234-5678-9012",
        "P-123456789012",
        "P 123456789012",
        "P - 1234 5678 9012",
        "Ｐ１２３４５６７８９０１２",
    ],
)
def test_codes_are_found_however_they_are_spaced(code: str) -> None:
    assert codes(f"통관부호 {code} 입니다") == [code]


def test_a_code_glued_to_other_text_still_goes() -> None:
    assert codes("010-1234-5678P123456789012") == ["P123456789012"]
    assert codes("부호P123456789012입니다") == ["P123456789012"]


@pytest.mark.parametrize("text", ["APP123456789012", "P12345678901", "SKU P1234 5678", "P-53 모델"])
def test_letters_before_or_too_few_digits_rule_a_code_out(text: str) -> None:
    assert codes(text) == []
