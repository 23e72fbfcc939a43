"""Group labels where a recipient's own name belongs: "sellers", "worldwide", "해외 판매자".

PIPA Art. 28-8(2) item 3 asks for the name of each recipient, and the PIPC faulted AliExpress
for naming its recipients as "worldwide" and as groups of sellers. The rule pack lists the
group terms; this module only knows how such terms are written, so that spacing, width, case,
punctuation, plurals and widening words ("all", "overseas", "해외", "전체") do not hide one,
while a company name that merely contains such a word ("Sellers Supply Co., Ltd.") still passes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["find_group_term", "match_group_name"]

# Words that widen a noun into a group without naming anyone. Stripped from both the name and
# the pack's terms, so "all overseas sellers" and "Sellers (various)" compare equal to "sellers".
_QUALIFIERS = frozenset(
    {
        # English
        "all", "every", "each", "any", "various", "varied", "other", "others", "overseas",
        "global", "globally", "international", "foreign", "worldwide", "world", "wide",
        "abroad", "offshore", "cross", "border", "crossborder", "multiple", "many", "several",
        "selected", "relevant", "respective", "registered", "participating", "etc", "and",
        "or", "of", "the", "our", "their", "its", "so", "on", "around", "over", "in", "local",
        # Korean, when written apart
        "전", "각", "총", "전체", "모든", "각국", "각종", "해외", "국외", "기타", "등", "외",
        "여러", "다수", "다양한", "세계", "전세계", "세계각국", "일체", "및", "그", "밖의",
        "관련", "소속", "입점", "현지",
    }
)  # fmt: skip

# Korean writes the same words onto the noun as often as apart ("해외판매자", "판매자들").
_KO_PREFIXES = (
    "세계각국", "전세계", "해외", "국외", "각국", "모든", "기타", "여러", "전체", "각종", "입점",
)  # fmt: skip
_KO_SUFFIXES = ("전체", "일체", "들", "등")


def _is_word_char(char: str) -> bool:
    return unicodedata.category(char)[0] in "LNM"


def _tokens(text: str) -> list[str]:
    # NFKC folds full-width and compatibility forms; format characters (zero-width spaces and
    # joiners) are dropped rather than treated as gaps, so "sel\u200blers" stays one word.
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(c for c in folded if unicodedata.category(c) != "Cf")
    words: list[str] = []
    current: list[str] = []
    for char in kept:
        if _is_word_char(char):
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def _is_hangul(word: str) -> bool:
    return any("\uac00" <= c <= "\ud7a3" for c in word)


def _strip_korean(word: str) -> str:
    changed = True
    while changed and word:
        changed = False
        for prefix in _KO_PREFIXES:
            if word.startswith(prefix):
                word, changed = word[len(prefix) :], True
        for suffix in _KO_SUFFIXES:
            if word.endswith(suffix) and len(word) > len(suffix):
                word, changed = word[: -len(suffix)], True
    return word


def _singular(word: str) -> str:
    if not word.isascii() or len(word) <= 3:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _core(words: list[str]) -> tuple[str, bool]:
    """The words that remain once widening words and plurals go, and whether any went."""
    kept = []
    widened = False
    for word in words:
        if word in _QUALIFIERS:
            widened = True
            continue
        if _is_hangul(word):
            stripped = _strip_korean(word)
            widened = widened or stripped != word
            word = stripped
        word = _singular(word)
        if word:
            kept.append(word)
    return "".join(kept), widened


@dataclass(frozen=True)
class _Term:
    written: str
    # Spacing, case, width and punctuation removed: "World-Wide" and "worldwide" are one term.
    compact: str
    # The compact form without widening words and plurals: what the group is made of.
    core: str
    # Whether the term carries a widening word, which makes it collective even in prose.
    widened: bool


@lru_cache(maxsize=32)
def _terms(group_names: tuple[str, ...]) -> tuple[_Term, ...]:
    terms = []
    for written in group_names:
        words = _tokens(written)
        if words:
            core, widened = _core(words)
            terms.append(_Term(written, "".join(words), core, widened))
    return tuple(terms)


def match_group_name(name: str, group_names: Iterable[str]) -> str | None:
    """The group term ``name`` stands for, or None when it may be a recipient's own name.

    A name matches a term when both read the same once spacing, case, width, punctuation,
    plurals and widening words are set aside ("All Overseas Sellers" and "판매자 전체" both
    match "sellers" or "판매자"); a name made of widening words only ("Overseas", "기타")
    matches too. A name with anything more ("Sellers Supply Co., Ltd.") does not.
    """
    words = _tokens(name)
    if not words:
        return None
    terms = _terms(tuple(group_names))
    compact = "".join(words)
    for term in terms:
        if term.compact == compact:
            return term.written
    core, _ = _core(words)
    if not core:
        return " ".join(name.split())
    for term in terms:
        if term.core == core:
            return term.written
    return None


def find_group_term(text: str, group_names: Iterable[str]) -> str | None:
    """The first collective term ("worldwide", "all sellers") used in ``text``, or None.

    Meant for fixed wording such as notice texts, where a plain noun ("seller", "판매자") is
    ordinary prose: only terms that are collective in themselves, because they carry a
    widening word or are made of widening words only, are looked for. A term is found where
    it starts at a word boundary and, unless it ends in Hangul (a particle may follow, as in
    "전 세계에"), ends at one.
    """
    words = _tokens(text)
    bounds = [0]
    for word in words:
        bounds.append(bounds[-1] + len(word))
    ends = set(bounds)
    joined = "".join(words)
    for term in _terms(tuple(group_names)):
        if not term.widened:
            continue
        for start in bounds[:-1]:
            end = start + len(term.compact)
            if joined.startswith(term.compact, start) and (
                end in ends or _is_hangul(term.compact[-1])
            ):
                return term.written
    return None
