"""Personal customs clearance codes (개인통관고유부호): P and 12 digits, however spaced."""

from __future__ import annotations

import re
from collections.abc import Iterator

from gatehouse.domain.redaction import context
from gatehouse.domain.redaction.spans import Recognizer, Span, register

__all__ = ["CustomsCodeRecognizer"]

# Only a letter before the P rules a match out: a code glued to other digits, as in
# "010-1234-5678P123456789012", is still a code. Inside the 12 digits a single space or dash
# may separate any two of them ("P 1234 5678 9012", "P-123456789012").
_CODE = re.compile(r"[Pp](?<![A-Za-z].)(?:[ -]?[0-9]){12}(?P<more>[0-9])?")


@register
class CustomsCodeRecognizer(Recognizer):
    """The personal customs clearance code Korean buyers give for overseas orders."""

    name = "customs_code"
    kinds = ("customs_code",)

    def find(self, text: str, cues: context.Cues) -> Iterator[Span]:
        """Yield customs codes; a thirteenth digit makes one less certain."""
        if "P" not in text and "p" not in text:
            return
        for m in _CODE.finditer(text):
            end = m.start("more") if m["more"] else m.end()
            score = 0.7 if m["more"] else 0.9
            # The P and the twelve digits settle it; only a longer run needs its context.
            cue = cues.cue_for(m.start(), end) if m["more"] else None
            if cue is not None:
                if cue.category == context.CUSTOMS:
                    score += 0.1
                elif cue.category == context.ORDER and cue.near:
                    score -= 0.4
            yield Span(m.start(), end, "customs_code", score)
