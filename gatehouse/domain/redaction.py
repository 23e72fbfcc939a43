"""Redaction of personal data inside free text such as delivery notes.

Customers write phone numbers, e-mail addresses and even resident registration numbers into
delivery notes; the note itself must still reach the courier, so only those pieces are replaced.
"""

from __future__ import annotations

import re

__all__ = ["PII_TOKENS", "redact_pii"]

PII_TOKENS: dict[str, str] = {
    "rrn": "[주민등록번호]",
    "customs_code": "[통관부호]",
    "email": "[이메일]",
    "phone": "[전화번호]",
}

_SEP = r"[\s.\-]?"
# Prefixes without the trunk 0: mobile 01x, Seoul 2, regional 3x-6x, VoIP 70, personal and safe
# numbers 050x, toll-free 80.
_KR_PREFIX = r"(?:1[016789]|2|[3-6][1-5]|70|50[2-8]|80)"
# No digit look-arounds: two numbers written back to back must both go. A long digit run
# (a tracking number) may lose a stretch to over-redaction, which is the safe mistake.
_KR_SUBSCRIBER = rf"{_SEP}[0-9]{{3,4}}{_SEP}[0-9]{{4}}"

# Order matters: a resident registration number or customs code contains digit runs that look
# like phone numbers, and an e-mail local part may be a phone number.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "rrn",
        # YYMMDD, then the 7th digit (1-8: century and sex, 5-8 for foreign residents).
        re.compile(
            r"(?<![0-9])[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
            r"\s?[-\u2010-\u2015]?\s?[1-8][0-9]{6}(?![0-9])"
        ),
    ),
    # Only a letter before the P rules a match out: a code glued to other digits, as in
    # "010-1234-5678P123456789012" or "P1234567890123층", is still a code and must go.
    ("customs_code", re.compile(r"(?<![A-Za-z])[Pp][0-9]{12}")),
    (
        "email",
        re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"),
    ),
    (
        "phone",
        re.compile(
            rf"(?:\+\s?82|(?<![0-9])0{{0,2}}82){_SEP}(?:\(0\)\s?)?0?{_KR_PREFIX}{_KR_SUBSCRIBER}"
            rf"|(?<![+])\(?0{_KR_PREFIX}\)?{_KR_SUBSCRIBER}"
        ),
    ),
)


def redact_pii(text: str) -> str:
    """Replace phone numbers, e-mails, resident registration numbers and customs codes."""
    for kind, pattern in _PATTERNS:
        text = pattern.sub(PII_TOKENS[kind], text)
    return text
