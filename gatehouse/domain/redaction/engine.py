"""The redaction engine: normalise, ask every recognizer, keep the best non-overlapping spans."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gatehouse.domain.redaction.context import Cues
from gatehouse.domain.redaction.normalise import normalise
from gatehouse.domain.redaction.spans import PII_TOKENS, THRESHOLD, Span, recognizers

__all__ = ["Redaction", "find_spans", "redact", "redact_pii"]

# Runs of at least 13 and 9 characters of digits and the separators people put between them
# ("02) 123-4567"), the first a digit: no shorter run holds a card or registration number, or a
# phone number. Most notes hold neither, and then most recognizers need not look.
_RUNS = (
    (13, re.compile(r"[0-9][-. ()0-9]{12}")),
    (9, re.compile(r"[0-9][-. ()0-9]{8}")),
)
_DIGIT = re.compile("[0-9]")


def _longest_run(text: str) -> int:
    """13 or 9 when the text has a run that long (separators counted), else 0."""
    for length, pattern in _RUNS:
        if pattern.search(text) is not None:
            return length
    return 0


@dataclass(frozen=True)
class Redaction:
    """A redacted text and the spans of the original text that were replaced."""

    text: str
    spans: tuple[Span, ...]


def _select(candidates: list[Span]) -> list[Span]:
    """The best candidates that do not overlap: higher score first, then the longer one."""
    if len(candidates) == 1:
        return candidates
    # Rounded, so that two equal scores reached by different sums tie, and the longer one wins.
    candidates.sort(key=lambda s: (-round(s.score, 6), s.start - s.end, s.start))
    chosen: list[Span] = []
    for cand in candidates:
        if all(cand.end <= c.start or c.end <= cand.start for c in chosen):
            chosen.append(cand)
    chosen.sort(key=lambda s: s.start)
    return chosen


def find_spans(text: str) -> tuple[Span, ...]:
    """Identifiers in ``text``: sorted, non-overlapping, offsets into ``text`` itself."""
    norm = normalise(text)
    folded = norm.text
    has_at = "@" in folded
    longest = _longest_run(folded)
    if longest == 0 and not has_at and _DIGIT.search(folded) is None:
        return ()
    candidates: list[Span] = []
    cues = Cues(folded)
    for recognizer in recognizers():
        if recognizer.min_run <= longest and (has_at or not recognizer.needs_at):
            for span in recognizer.find(folded, cues):
                if span.score >= THRESHOLD:
                    candidates.append(span)
    if not candidates:
        return ()
    spans = _select(candidates)
    if norm.index is None:
        return tuple(spans)
    mapped = []
    for s in spans:
        start, end = norm.original(s.start, s.end)
        mapped.append(Span(start, end, s.kind, s.score))
    return tuple(mapped)


def redact(text: str) -> Redaction:
    """Replace every identifier with its kind's token; every other character stays as it was."""
    spans = find_spans(text)
    if not spans:
        return Redaction(text, spans)
    parts: list[str] = []
    at = 0
    for s in spans:
        parts.append(text[at : s.start])
        parts.append(PII_TOKENS[s.kind])
        at = s.end
    parts.append(text[at:])
    return Redaction("".join(parts), spans)


def redact_pii(text: str) -> str:
    """The text with phone numbers, e-mails, identity, customs, account and card numbers
    replaced by tokens such as [전화번호]."""
    return redact(text).text
