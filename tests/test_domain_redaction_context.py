"""Cue words: which word governs a candidate number."""

from __future__ import annotations

from gatehouse.domain.redaction import context
from gatehouse.domain.redaction.context import Cue, Cues, cue_for


def cue(text: str, number: str) -> Cue | None:
    start = text.index(number)
    return cue_for(text, start, start + len(number))


def test_the_nearest_word_before_the_number_counts() -> None:
    assert cue("연락처 010-1234-5678", "010") == Cue(context.PHONE, True)
    assert cue("주문번호: 20261129", "2026") == Cue(context.ORDER, True)
    assert cue("송장번호는 612345678901", "6123") == Cue(context.ORDER, True)
    assert cue("카뱅으로 3333-01-1234567", "3333") == Cue(context.ACCOUNT, True)
    assert cue("Passport No: M12345678", "M123") == Cue(context.PASSPORT, True)
    assert cue("ARC no. 510124-6681928", "5101") == Cue(context.RRN, True)


def test_a_strong_word_further_away_still_counts_but_not_as_near() -> None:
    assert cue("계좌번호 알려 드려요 123-456-789012", "123") == Cue(context.ACCOUNT, False)


def test_an_everyday_word_counts_only_right_beside_the_number() -> None:
    # 우리 (we) is also 우리은행's nickname.
    assert cue("우리 1002-123-456789", "1002") == Cue(context.ACCOUNT, True, strong=False)
    assert cue("우리 집 앞에 두고 가세요 1002-123-456789", "1002") is None


def test_a_number_in_between_uses_the_cue_up() -> None:
    text = "주문번호 20261129-0001234, 010-1234-5678로 연락 주세요"
    assert cue(text, "010-1234-5678") == Cue(context.PHONE, True)  # the cue after it
    assert cue("송장 612345678901 010-1234-5678", "010") is None


def test_a_word_after_the_number_counts_unless_it_opens_the_next_one() -> None:
    assert cue("85359668892121 우체국 (박지훈)", "85359668892121") == Cue(context.POST, True)
    assert cue("870803-1824852 주민번호예요", "870803-1824852") == Cue(context.RRN, True)
    assert cue("010-6566-6965!! 주문번호 2026", "010-6566-6965") is None
    assert cue("01039050986 현관비밀번호 904457#", "01039050986") is None


def test_english_cues_are_words_of_their_own() -> None:
    assert cue("order no 20260411184320", "2026") == Cue(context.ORDER, True)
    assert cue("border 20260411184320", "2026") is None
    assert cue("KB국민 123456-78-901234", "1234") == Cue(context.ACCOUNT, True)


def test_cues_are_found_once_per_text() -> None:
    text = "연락처 010-1234-5678 / 송장 612345678901"
    cues = Cues(text)
    assert cues.cue_for(4, 17) == Cue(context.PHONE, True)
    assert cues.cue_for(23, 35) == Cue(context.ORDER, True)
