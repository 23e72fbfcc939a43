"""Identity numbers: resident and foreigner registration numbers, passports, driver's licences."""

from __future__ import annotations

import re
from collections.abc import Iterator

from gatehouse.domain.redaction import context
from gatehouse.domain.redaction.spans import Recognizer, Span, register

__all__ = [
    "DriverLicenseRecognizer",
    "PassportRecognizer",
    "RegistrationNumberRecognizer",
    "ean13_ok",
    "registration_checksum_ok",
    "valid_birth_date",
]

_RRN = re.compile(
    r"[0-9](?<![0-9].)[0-9]{5}(?P<sep>-| )?(?P<gender>[0-9])(?P<serial>[0-9]{6})(?![0-9])"
)
_RRN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_FOREIGN = frozenset("5678")
_RESIDENT = frozenset("123490")


def valid_birth_date(yymmdd: str) -> bool:
    """Whether YYMMDD is a calendar date (29 February is accepted in any year)."""
    month, day = int(yymmdd[2:4]), int(yymmdd[4:6])
    return 1 <= month <= 12 and 1 <= day <= _DAYS[month - 1]


def registration_checksum_ok(digits: str) -> bool:
    """The check digit of numbers issued before October 2020 (resident or foreigner form)."""
    total = sum(int(d) * w for d, w in zip(digits, _RRN_WEIGHTS, strict=False))
    check = int(digits[12])
    return check in ((11 - total % 11) % 10, (13 - total % 11) % 10)


def ean13_ok(digits: str) -> bool:
    """The check digit of an EAN-13 product barcode."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits[:12]))
    return (10 - total % 10) % 10 == int(digits[12])


def _near_cue(cues: context.Cues, start: int, end: int, own: str) -> float:
    cue = cues.cue_for(start, end)
    if cue is None:
        return 0.0
    if cue.category == own:
        return 0.3
    if cue.category in (context.ORDER, context.DOOR):
        return -0.5 if cue.near else -0.2
    return 0.0


@register
class RegistrationNumberRecognizer(Recognizer):
    """Resident (7th digit 1-4, 9, 0) and foreigner (5-8) registration numbers."""

    name = "registration_number"
    kinds = ("rrn", "frn")
    min_run = 13

    def find(self, text: str, cues: context.Cues) -> Iterator[Span]:
        """Yield numbers with a real birth date; the old check digit raises the score."""
        for m in _RRN.finditer(text):
            birth, gender = m.group()[:6], m["gender"]
            if not valid_birth_date(birth):
                continue
            kind = "frn" if gender in _FOREIGN else "rrn"
            digits = birth + gender + m["serial"]
            checked = registration_checksum_ok(digits)
            if m["sep"]:
                score = 0.85 if checked else 0.7
            else:
                # Thirteen bare digits without the check digit are more often a tracking number
                # or a barcode than one of the few numbers issued since October 2020.
                score = 0.7 if checked else 0.45
                if digits.startswith("880") and ean13_ok(digits):
                    score -= 0.2  # a Korean product barcode
            if gender in "90":  # born in the 1800s: possible, rare
                score -= 0.1
            score += _near_cue(cues, m.start(), m.end(), context.RRN)
            yield Span(m.start(), m.end(), kind, score)


# M (multiple), S (single), R (residence), G (official), D (diplomatic); since 2021 the fifth
# character is a letter (M123A4567).
_PASSPORT = re.compile(
    r"(?P<type>[MSRGDmsrgd])(?<![A-Za-z0-9].)(?:[0-9]{8}|(?P<new>[0-9]{3}[A-Za-z][0-9]{4}))"
    r"(?![A-Za-z0-9])"
)


@register
class PassportRecognizer(Recognizer):
    """Korean passport numbers, old and new format."""

    name = "passport"
    kinds = ("passport",)
    min_run = 0  # M123A4567

    def find(self, text: str, cues: context.Cues) -> Iterator[Span]:
        """Yield passport numbers; the word 여권 nearby makes them certain."""
        for m in _PASSPORT.finditer(text):
            score = 0.6 if m["new"] else 0.5
            if m["type"].islower():
                score -= 0.1
            score += _near_cue(cues, m.start(), m.end(), context.PASSPORT)
            yield Span(m.start(), m.end(), "passport", score)


_REGIONS = "서울|부산|경기|강원|충북|충남|전북|전남|경북|경남|제주|대구|인천|광주|대전|울산|세종"
# Region (code 11-28 or its name), year of issue, serial, check: 11-19-123456-01.
_LICENSE = re.compile(
    rf"(?:1(?<![0-9].)[1-9]|2(?<![0-9].)[0-8]|(?:{_REGIONS})[- ]?(?=[0-9]))"
    r"(?P<s1>[- ]?)[0-9]{2}(?P<s2>[- ]?)[0-9]{6}(?P<s3>[- ]?)[0-9]{2}(?![0-9])"
)


@register
class DriverLicenseRecognizer(Recognizer):
    """Korean driver's licence numbers, with a numeric or a named region."""

    name = "driver_license"
    kinds = ("driver_license",)
    min_run = 9  # 서울 12-345678-90: 10 digits

    def find(self, text: str, cues: context.Cues) -> Iterator[Span]:
        """Yield licence numbers; a bare 12-digit run needs 면허 nearby."""
        for m in _LICENSE.finditer(text):
            if not m.group()[0].isdigit():  # a region name
                score = 0.8
            elif m["s1"] and m["s2"] and m["s3"]:
                score = 0.7
            else:
                score = 0.3
            score += _near_cue(cues, m.start(), m.end(), context.LICENSE)
            yield Span(m.start(), m.end(), "driver_license", score)
