"""Normalisation of free text before matching, with a map back to the original offsets.

Buyers type fullwidth digits (０１０), Korean and typographic dashes (ㅡ, –, ー), odd spaces and
zero-width characters. One ``str.translate`` folds the one-to-one cases and keeps every offset;
only when a character has to go (a zero-width character, spaces around a dash between digits)
is an index map built, so the common note pays for one translate and one regex search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Normalised", "normalise"]


def _table() -> dict[int, int]:
    table: dict[int, int] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}  # fullwidth ASCII
    dashes = "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u2500\u2e3a\u2e3b"
    dashes += "\u3161\u30fc\uff70\ufe58\ufe63"  # ㅡ, ー, halfwidth ｰ, small dashes
    table.update({ord(c): ord("-") for c in dashes})
    spaces = "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    spaces += "\u202f\u205f\u3000"
    table.update({ord(c): ord(" ") for c in spaces})
    table[0xFE6B] = ord("@")  # small commercial at
    return table


_TABLE = _table()
# Translating is a dictionary look-up per character; a set test finds the rare text that needs it.
_FOLDABLE = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_TABLE)) + "]")
# Characters that are dropped: zero-width ones and the soft hyphen anywhere; spaces that only
# pad a dash inside a number ("010 - 1234", "P - 1234"); and a space between two lone digits,
# as in a number typed digit by digit ("0 1 0 1 2 3 4"). Each rule looks only at the two
# characters on either side, so a span's own slice normalises exactly as it does in place.
# Every alternative opens with a literal, which lets the regex engine skip ahead quickly.
_ZERO_WIDTH = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_DROP = re.compile(
    "|".join(_ZERO_WIDTH)
    + r"| (?<=[0-9Pp] ) *(?=-)| (?<=- ) *(?=[0-9])| (?<=[0-9] )(?<![0-9]{2} )(?=[0-9](?![0-9]))"
)


@dataclass(frozen=True, slots=True)
class Normalised:
    """A normalised text and, when characters were dropped, where each character came from."""

    text: str
    # index[i] is the original offset of text[i]; index[len(text)] is the original length.
    # None when nothing was dropped, so offsets are the same in both texts.
    index: tuple[int, ...] | None = None

    def original(self, start: int, end: int) -> tuple[int, int]:
        """The original ``[start, end)`` of the normalised slice ``[start, end)``."""
        if self.index is None:
            return start, end
        if end <= start:
            return self.index[start], self.index[start]
        return self.index[start], self.index[end - 1] + 1


def normalise(text: str) -> Normalised:
    """Fold look-alike characters to ASCII and drop the ones that only get in the way."""
    folded = text if _FOLDABLE.search(text) is None else text.translate(_TABLE)
    first = _DROP.search(folded)
    if first is None:
        return Normalised(folded)
    kept: list[str] = []
    index: list[int] = []
    at = 0
    for m in _DROP.finditer(folded, first.start()):
        kept.append(folded[at : m.start()])
        index.extend(range(at, m.start()))
        at = m.end()
    kept.append(folded[at:])
    index.extend(range(at, len(folded)))
    index.append(len(text))
    return Normalised("".join(kept), tuple(index))
