"""Cue words around a candidate: the words that say what a number is.

"연락처 010-…" is a phone number and "송장번호 6123…" a tracking number, whatever the digits
look like. The cue that counts is the nearest one before the candidate, unless another number
stands between them (then the cue was about that number); failing that, a cue right after it
("…5678로 연락", "… 예금주"). Everyday words that double as bank names (우리, 하나, 부산) count
only right next to the number.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from typing import Any, NamedTuple

__all__ = [
    "ACCOUNT",
    "CARD",
    "CUSTOMS",
    "DOOR",
    "LICENSE",
    "ORDER",
    "POST",
    "PASSPORT",
    "PHONE",
    "RRN",
    "Cue",
    "Cues",
    "cue_for",
]

ORDER = "order"  # order, tracking and product numbers: never personal data
DOOR = "door"  # door codes: delivery needs them
PHONE = "phone"
ACCOUNT = "bank_account"
CARD = "card"
CUSTOMS = "customs_code"
PASSPORT = "passport"
LICENSE = "driver_license"
RRN = "rrn"
POST = "post"  # 우체국: a bank or a courier

# word -> (category, strong). A weak word counts only right next to the number.
_WORDS: dict[str, tuple[str, bool]] = {}
# The same, keyed without spaces, to look a match up whatever spacing the buyer used.
_KEYS: dict[str, tuple[str, bool]] = {}


def _add(category: str, strong: bool, words: str) -> None:
    for word in words.split():
        _WORDS[word.replace("_", " ").lower()] = (category, strong)
        _KEYS[word.replace("_", "").lower()] = (category, strong)


_add(
    ORDER,
    True,
    "주문번호 주문_번호 주문코드 송장 송장번호 송장_번호 운송장 운송장번호 운송장_번호 상품번호 "
    "상품_번호 상품코드 상품_코드 품번 모델번호 옵션코드 접수번호 예약번호 쿠폰번호 바코드 "
    "등기번호 반품번호 교환번호 결제번호 order order_no order_number sku tracking invoice "
    "awb 트래킹 대한통운 우체국택배 롯데택배 한진택배 로젠택배 등기 우체국등기 우체국_등기 "
    "사업자등록번호 사업자번호 사업자 승인번호 모델명 모델 옵션 제품번호 상품명 품목 일련번호 "
    "시리얼 serial model",
)
_add(ORDER, False, "주문 택배 배송 cj 한진 롯데 로젠 경동 반품 교환")
_add(DOOR, True, "비번 비밀번호 현관 공동현관 출입 호출 도어락 번호키")
_add(
    PHONE,
    True,
    "연락처 핸드폰 휴대폰 휴대전화 전화번호 전화 폰 번호로_연락 안심번호 연락 tel phone mobile "
    "hp 콜 문자 회사번호 집전화 집번호 사무실 제_번호 엄마번호 아빠번호 받는분_번호 call",
)
# 우체국 is a bank and a courier: its 14-digit accounts and its 13-digit tracking numbers.
_add(POST, True, "우체국")
_add(
    ACCOUNT,
    True,
    "계좌 계좌번호 입금 예금주 은행 국민은행 국민 kb 신한 신한은행 우리은행 하나은행 농협 "
    "농협은행 nh ibk 기업은행 카카오뱅크 카뱅 토스뱅크 토뱅 케이뱅크 케뱅 새마을금고 새마을 mg "
    "수협 신협 sc제일 sc제일은행 씨티 씨티은행 부산은행 대구은행 im뱅크 광주은행 "
    "전북은행 경남은행 제주은행 산업은행 bank account keb keb하나 keb하나은행 차액 송금 이체 "
    "환불계좌 환불 refund_account",
)
_add(ACCOUNT, False, "우리 하나 기업 부산 대구 광주 전북 경남 제주 산업 카카오 토스 sc 환급")
_add(
    CARD,
    True,
    "카드 카드번호 신용카드 체크카드 롯데카드 삼성카드 현대카드 신한카드 국민카드 kb카드 "
    "비씨카드 bc카드 하나카드 우리카드 농협카드 nh카드 visa master card 은련 아멕스 amex jcb "
    "법카 결제카드 마스터카드 비자카드",
)
_add(
    CUSTOMS,
    True,
    "통관 통관부호 통관번호 개인통관 개인통관고유부호 고유부호 customs customs_id pccc",
)
_add(PASSPORT, True, "여권 여권번호 passport")
_add(LICENSE, True, "면허 면허번호 면허증 운전면허 운전면허번호 운전면허증 license")
_add(
    RRN,
    True,
    "주민 주민번호 주민등록 주민등록번호 외국인등록 외국인등록번호 등록번호 신분증 arc "
    "외국인등록증 residence_card",
)


def _char(ch: str) -> str:
    if ch == " ":
        return " ?"
    return f"[{ch}{ch.upper()}]" if ch.isascii() and ch.isalpha() else re.escape(ch)


_COMMON = "주전번연문택배우하부기대제사수신국카통송상입계환예은여면외등운현비출호폰콜공"


def _rank(ch: str) -> int:
    return _COMMON.index(ch) if ch in _COMMON else len(_COMMON)


def _trie(words: Iterable[str], english: bool) -> list[str]:
    """Top-level branches of one regex for many words, shaped as a trie.

    A plain alternation of some 200 words tries every word at every position; as a trie whose
    every branch starts with a literal character, the regex engine skips ahead with a single
    character-set test. Letters are spelt out in both cases for the same reason (IGNORECASE
    would spoil the test). A space in a word stands for an optional space, and the longer word
    is tried first. An English word must stand on its own; a Korean one takes its particles.
    """
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    end = "(?![A-Za-z])" if english else ""

    def render(node: dict[str, Any]) -> str:
        branches = [_char(ch) + render(child) for ch, child in sorted(node.items()) if ch]
        if "" in node:
            branches.append(end)
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    top = []
    # The engine tries the first-character branches in order, so the syllables that open
    # everyday Korean words ("주세요", "전에", "번째") go first.
    for ch, child in sorted(root.items(), key=lambda item: (_rank(item[0]), item[0])):
        # The look-behind sits after the first letter: it sees the character before the word.
        firsts = {ch, ch.upper()} if english else {ch}
        after = r"(?<![A-Za-z].)" if english else ""
        top += [re.escape(f) + after + render(child) for f in sorted(firsts)]
    return top


_ENGLISH = [w for w in _WORDS if w[0].isascii() and w[0].isalpha()]
_KOREAN = [w for w in _WORDS if not (w[0].isascii() and w[0].isalpha())]
_CUES = re.compile("|".join(_trie(_KOREAN, False) + _trie(_ENGLISH, True)))
_DIGIT = re.compile(r"[0-9]")
_FILLER = " \t:=>()[]{}<>-~.,/'\"·|"
_BEFORE = 24  # characters searched before a candidate
_AFTER = 10  # and after it
_NEAR = 2  # at most this many characters (particles) between a near cue and its number


class Cue(NamedTuple):
    """The category of the cue word that governs a candidate, whether it is right beside it,
    and whether the word is unambiguous (송장번호) or only suggestive (주문, 택배)."""

    category: str
    near: bool
    strong: bool = True


_SURFACES: dict[str, tuple[str, bool]] = {}


def _entry(surface: str) -> tuple[str, bool]:
    """The (category, strong) of a cue as written ("KB", "주문 번호"), memoised: the spellings
    are few, and looking them up is the inner loop of every scan."""
    entry = _SURFACES.get(surface)
    if entry is None:
        entry = _SURFACES[surface] = _KEYS["".join(surface.lower().split())]
    return entry


class Cues:
    """The cue words of one text, found in a single pass and looked up per candidate."""

    __slots__ = ("_categories", "_ends", "_found", "_starts", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._found: list[tuple[int, int, str, bool]] | None = None  # scanned on first use
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._categories: frozenset[str] = frozenset()

    def _scan(self) -> list[tuple[int, int, str, bool]]:
        found = [(m.start(), m.end(), *_entry(m.group())) for m in _CUES.finditer(self._text)]
        self._starts = [f[0] for f in found]
        self._ends = [f[1] for f in found]
        self._categories = frozenset(f[2] for f in found)
        self._found = found
        return found

    def categories(self) -> frozenset[str]:
        """The categories of all cue words in the text."""
        if self._found is None:
            self._scan()
        return self._categories

    def cue_for(self, start: int, end: int) -> Cue | None:
        """The cue governing the candidate ``text[start:end]``, or None when there is none."""
        text = self._text
        found = self._found if self._found is not None else self._scan()
        before: Cue | None = None
        i = bisect_right(self._ends, start) - 1
        if i >= 0:
            c_start, c_end, category, strong = found[i]
            gap = text[c_end:start]
            if c_start >= start - _BEFORE and _DIGIT.search(gap) is None:
                if len(gap.strip(_FILLER)) <= _NEAR:
                    return Cue(category, True, strong)
                if strong:
                    before = Cue(category, False)
        j = bisect_left(self._starts, end)
        if j < len(found):
            c_start, c_end, category, strong = found[j]
            gap = text[end:c_start]
            # An order or door word after a number introduces the next one ("…5678 주문번호 …").
            if (
                c_end <= end + _AFTER
                and category not in (ORDER, DOOR)
                and len(gap.strip(_FILLER)) <= _NEAR
                and _DIGIT.search(gap) is None
            ):
                return Cue(category, True, strong)
        return before


def cue_for(text: str, start: int, end: int) -> Cue | None:
    """The cue governing ``text[start:end]``; scans the whole text, so recognizers that look
    up many candidates share one ``Cues`` instead."""
    return Cues(text).cue_for(start, end)
