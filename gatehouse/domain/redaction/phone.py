"""Korean phone numbers: mobile, landline, VoIP, 050x safe numbers and toll-free, +82 forms.

A number must start with a prefix that is actually in service, so order and tracking numbers,
which rarely do, stay. Numbers typed back to back with nothing between them ("010-1234-5678
01098765432") are split by tiling the run; a run that does not split cleanly into phone
numbers (and a leading customs code) is left alone, since it is more likely an order number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from gatehouse.domain.redaction import context
from gatehouse.domain.redaction.spans import Recognizer, Span, register

__all__ = ["PhoneRecognizer", "tile_run"]

# Prefixes without the trunk 0: mobile 01x, Seoul 2, regional 031-064, VoIP 070, personal and
# safe numbers 050x, toll-free 080.
_PFX = r"(?P<pfx>1[016789]|2|[3-6][1-5]|70|50[2-8]|80)"
# A trailing digit is captured, not refused: "010-1234-56783층" is still a phone number.
_REST = r"(?:\) ?|[-. ])?(?P<mid>[0-9]{3,4})[-. ]?[0-9]{4}(?P<more>[0-9])?"
# Each pattern opens with a literal and checks the character before it in a look-behind placed
# after it: Python's regex engine then skips ahead with a fast set test.
_NATIONAL = re.compile(
    rf"(?:\(0(?<![0-9+]..)|0(?<![0-9+(].))(?P<glued>(?<=[A-Za-z]0))?{_PFX}{_REST}"
)
_INTERNATIONAL = re.compile(
    rf"(?:(?P<plus>\+) ?82|0(?<![0-9].)082|8(?<![0-9].)2)\)?[-. ]?(?:\(0\) ?)?0?{_PFX}{_REST}"
)

# Landlines score 0.8; VoIP numbers are as personal as mobiles, toll-free ones rarely are.
_BASE = {"70": 0.85, "80": 0.75}

# Back-to-back numbers: a run of digits and dashes or dots, maybe led by +82 or a customs P.
_RUN = re.compile(r"(?:\+ ?82[-. ]?|[Pp](?<![A-Za-z].))?[0-9](?:[0-9]|[-.](?=[0-9]))*")
# Two glued numbers make a run of at least 18 characters.
_LONG_RUN = re.compile(r"[0-9][0-9.\-]{17}")
_MIN_GLUED_DIGITS = 18
_MAX_TAIL = 4
_PFX_PLAIN = r"(?:1[016789]|2|[3-6][1-5]|70|50[2-8]|80)"
_TILE_PHONES = tuple(re.compile(rf"0{_PFX_PLAIN}[-.]?[0-9]{{{m}}}[-.]?[0-9]{{4}}") for m in (4, 3))
_TILE_LEADS = tuple(
    re.compile(rf"\+ ?82[-. ]?(?:\(0\) ?)?0?{_PFX_PLAIN}[-. ]?[0-9]{{{m}}}[-. ]?[0-9]{{4}}")
    for m in (4, 3)
)
_TILE_CUSTOMS = re.compile(r"[Pp][0-9]{12}")
_TILE_SEPARATOR = re.compile(r"[-.]")


def _base(pfx: str, mid: str) -> float:
    """How sure the prefix and the middle group alone make a number a phone number."""
    if pfx == "10":
        # 010 numbers have had a four-digit middle since 2004.
        return 0.9 if len(mid) == 4 else 0.6
    if pfx[0] == "1" or pfx.startswith("50"):
        return 0.85
    return _BASE.get(pfx, 0.8)


def _adjust(score: float, cue: context.Cue | None, plain: bool) -> float:
    """The score after the cue word, for a number written with (or, if ``plain``, without)
    separators."""
    if cue is None:
        return score
    if cue.category == context.PHONE:
        return score + 0.1
    if cue.category == context.ORDER:
        if cue.near:
            # "송장번호 0101…" is a tracking number; "주문 010-…" may well be the buyer's phone.
            return score - (0.5 if cue.strong else 0.3)
        return score - (0.2 if plain else 0.1)
    if cue.near:
        return score - (0.2 if cue.strong else 0.1)
    return score


def _overlapping(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Every match, each searched for from one character past the last one's start.

    ``finditer`` resumes after a match, so a candidate that swallows the start of the next
    number ("+82 10-0000-0502 010-…" read as the safe number "0502 010-…") would hide that
    number; candidates may overlap, and the engine keeps the best of them.
    """
    m = pattern.search(text)
    while m is not None:
        yield m
        m = pattern.search(text, m.start() + 1)


@lru_cache(maxsize=256)
def tile_run(run: str) -> tuple[tuple[int, int, bool], ...] | None:
    """Split a glued run into (start, end, is_phone) pieces, or None when it does not split."""

    def tiles(pos: int, first: bool) -> list[tuple[int, int, bool]] | None:
        if pos == len(run):
            return []
        if not first and len(run) - pos <= _MAX_TAIL and run[pos:].isdigit():
            return []  # a floor or unit number glued on ("…56783층")
        options: list[tuple[re.Pattern[str], bool]] = [(p, True) for p in _TILE_PHONES]
        if first:
            options += [(p, True) for p in _TILE_LEADS] + [(_TILE_CUSTOMS, False)]
        elif _TILE_SEPARATOR.match(run, pos):
            rest = tiles(pos + 1, False)
            if rest is not None:
                return rest
        for pattern, phone in options:
            m = pattern.match(run, pos)
            if m is None:
                continue
            rest = tiles(m.end(), False)
            if rest is not None:
                return [(pos, m.end(), phone), *rest]
        return None

    found = tiles(0, True)
    return tuple(found) if found is not None and len(found) >= 2 else None


@register
class PhoneRecognizer(Recognizer):
    """Korean phone numbers in every common spelling."""

    name = "phone"
    kinds = ("phone",)

    def find(self, text: str, cues: context.Cues) -> Iterator[Span]:
        """Yield phone numbers with their scores."""
        for m in _overlapping(_NATIONAL, text):
            if m["more"] is None:
                # Glued to a letter it is more likely the tail of a code ("89G020164451").
                penalty = 0.3 if m["glued"] is not None else 0.0
                yield self._scored(text, cues, m, _base(m["pfx"], m["mid"]) - penalty)
            elif m["pfx"][0] == "1":
                # Only a mobile number is taken out of a longer run; the rest of the run is
                # most likely a floor or unit glued to it, rarely an order number.
                yield self._scored(text, cues, m, 0.6, m.end() - 1)
        for m in _overlapping(_INTERNATIONAL, text) if "82" in text else ():
            base = _base(m["pfx"], m["mid"]) + (0.05 if m["plus"] else -0.15)
            if m["more"] is None:
                yield self._scored(text, cues, m, base)
            elif m["pfx"][0] == "1" and m["plus"]:
                yield self._scored(text, cues, m, 0.6, m.end() - 1)
        yield from self._glued(text)

    def _scored(
        self, text: str, cues: context.Cues, m: re.Match[str], base: float, end: int = -1
    ) -> Span:
        end = m.end() if end < 0 else end
        plain = text[m.start() : end].isdigit()
        score = base - (0.1 if plain else 0.0)
        score = _adjust(score, cues.cue_for(m.start(), end), plain)
        return Span(m.start(), end, "phone", score)

    def _glued(self, text: str) -> Iterator[Span]:
        if _LONG_RUN.search(text) is None:
            return
        for m in _RUN.finditer(text):
            run = m.group()
            if sum(c.isdigit() for c in run) < _MIN_GLUED_DIGITS:
                continue
            pieces = tile_run(run)
            if pieces is None:
                continue
            for start, end, phone in pieces:
                if phone:
                    yield Span(m.start() + start, m.start() + end, "phone", 0.8)
