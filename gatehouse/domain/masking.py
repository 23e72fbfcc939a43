"""Masking of personal data for display to recipients (홍*동, 010-****-5678).

Every function is total: it accepts any text and never raises, because masking runs on values
that were validated when stored and a display path must not fail on an odd legacy value.
"""

from __future__ import annotations

import phonenumbers

from gatehouse.domain.contact import format_kr_national, split_road_address

__all__ = [
    "COMPOUND_SURNAMES",
    "family_name",
    "hide_phone",
    "mask_address",
    "mask_customs_code",
    "mask_email",
    "mask_name",
    "mask_name_further",
    "mask_phone",
    "mask_postal_code",
]

# Two-syllable Korean family names; without them "남궁민수" would be read as family name 남.
COMPOUND_SURNAMES = frozenset(
    {"남궁", "황보", "제갈", "선우", "서문", "독고", "동방", "사공", "어금", "망절", "소봉"}
)

_HIDDEN = "***"


def _stars(text: str) -> str:
    return "*" * len(text)


def _is_latin(name: str) -> bool:
    # Latin-script names are masked per word; syllabic scripts (Hangul, Han, kana) as one block.
    return any(ch.isalpha() and ord(ch) < 0x250 for ch in name)


def mask_name(name: str) -> str:
    """Mask a name: ``홍길동`` → ``홍*동``, ``홍길`` → ``홍*``, ``John Smith`` → ``J*** S****``."""
    text = " ".join(name.split())
    if not text:
        return ""
    if _is_latin(text):
        return " ".join(word[0] + _stars(word[1:]) for word in text.split(" "))
    compact = text.replace(" ", "")
    if len(compact) == 1:
        return "*"
    if len(compact) == 2:
        return compact[0] + "*"
    return compact[0] + _stars(compact[1:-1]) + compact[-1]


def family_name(name: str) -> str:
    """Return the family name: first syllable(s) of a Korean name, last word of a Latin one."""
    text = " ".join(name.split())
    if _is_latin(text):
        return text.split(" ")[-1] if text else ""
    compact = text.replace(" ", "")
    if len(compact) >= 3 and compact[:2] in COMPOUND_SURNAMES:
        return compact[:2]
    return compact[:1]


def mask_name_further(name: str) -> str:
    """Keep only the family name: ``홍길동`` → ``홍**``, ``John Smith`` → ``** Smith``."""
    family = family_name(name)
    if not family:
        return "**"
    # Latin names put the family name last, so the hidden given names stay in front of it.
    if _is_latin(name):
        return f"** {family}" if len(name.split()) > 1 else family[0] + "**"
    return family + "**"


def _parse(phone: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(phone, "KR")
    except phonenumbers.NumberParseException:
        return None
    # A Korean number too short for area/subscriber groups is masked as bare digits.
    if number.country_code == 82 and len(str(number.national_number)) < 8:
        return None
    return number if phonenumbers.is_possible_number(number) else None


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _kr_groups(number: phonenumbers.PhoneNumber) -> tuple[str, str, str] | None:
    if number.country_code != 82:
        return None
    head, middle, tail = format_kr_national(f"+82{number.national_number}").split("-")
    return head, middle, tail


def mask_phone(phone: str) -> str:
    """Mask a phone number: Korean ones as ``010-****-5678``, others as ``+1 ******5678``."""
    number = _parse(phone)
    if number is None:
        digits = _digits(phone)
        return _stars(digits[:-4]) + digits[-4:] if len(digits) > 4 else _stars(digits)
    groups = _kr_groups(number)
    if groups is not None:
        return f"{groups[0]}-{_stars(groups[1])}-{groups[2]}"
    national = str(number.national_number)
    return f"+{number.country_code} {_stars(national[:-4])}{national[-4:]}"


def hide_phone(phone: str) -> str:
    """Hide a phone number except its prefix: ``010-****-****``, ``0505-****-****``, ``+1 ****``."""
    number = _parse(phone)
    if number is None:
        return _stars(_digits(phone))
    groups = _kr_groups(number)
    if groups is not None:
        return f"{groups[0]}-{_stars(groups[1])}-{_stars(groups[2])}"
    national = str(number.national_number)
    return f"+{number.country_code} {_stars(national)}"


def mask_email(email: str) -> str:
    """Mask an e-mail address: ``hong@example.com`` → ``h***@example.com``."""
    local, at, domain = email.rpartition("@")
    if not at or not local:
        return _HIDDEN
    # A fixed number of stars so that the mask does not reveal the local part's length.
    return f"{local[0]}{_HIDDEN}@{domain}"


def mask_customs_code(code: str) -> str:
    """Mask a customs clearance code: ``P123456789012`` → ``P*********012``."""
    if len(code) <= 4:
        return _stars(code)
    return code[0] + _stars(code[1:-3]) + code[-3:]


def mask_address(line1: str) -> str:
    """Keep region, city, district and road name; hide the building number and anything after it."""
    text = " ".join(line1.split())
    parts = split_road_address(text)
    if parts is not None:
        return f"{parts[0]} {_HIDDEN}"
    # Not a road-name address: keep the leading words until the first one holding a number.
    kept: list[str] = []
    for word in text.split(" "):
        if any(ch.isdigit() for ch in word):
            break
        kept.append(word)
    return " ".join([*kept[:3], _HIDDEN])


def mask_postal_code(postal_code: str) -> str:
    """Keep the first three digits of a postal code: ``06236`` → ``062**``."""
    code = postal_code.strip()
    return code[:3] + _stars(code[3:])
