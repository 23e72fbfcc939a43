"""E-mail addresses. The address ends where ASCII ends, so "…@kakao.com으로" loses only the
address and keeps its particle."""

from __future__ import annotations

import re
from collections.abc import Iterator

from gatehouse.domain.redaction import context
from gatehouse.domain.redaction.spans import Recognizer, Span, register

__all__ = ["EmailRecognizer"]

# Matched from the @ outwards: a pattern that opens with the local part would start a match
# at every letter of the text.
_DOMAIN = re.compile(r"@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_LOCAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")


@register
class EmailRecognizer(Recognizer):
    """E-mail addresses, including ones glued to Korean text on either side."""

    name = "email"
    kinds = ("email",)
    min_run = 0
    needs_at = True

    def find(self, text: str, cues: context.Cues) -> Iterator[Span]:
        """Yield e-mail addresses; their shape alone is conclusive."""
        for m in _DOMAIN.finditer(text):
            start = m.start()
            while start > 0 and text[start - 1] in _LOCAL:
                start -= 1
            if start < m.start():
                yield Span(start, m.end(), "email", 0.95)
