"""Validation and normalisation of contact data: phones, e-mail, countries, addresses, names.

Error messages never repeat the rejected value: it is personal data, and error texts end up in
logs and API responses.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email

from gatehouse.domain.errors import InvalidInput

__all__ = [
    "RoadAddress",
    "format_international",
    "format_kr_national",
    "normalise_country",
    "normalise_customs_code",
    "normalise_email",
    "normalise_kr_mobile",
    "normalise_locale",
    "normalise_person_name",
    "normalise_phone",
    "normalise_road_address",
    "split_road_address",
]

# Longer inputs are not phone numbers, and capping them bounds the parser's work.
_MAX_PHONE_CHARS = 40
_MAX_NAME_CHARS = 100
_MAX_ADDRESS_LINE_CHARS = 200

_CUSTOMS_CODE_RE = re.compile(r"[Pp][0-9]{12}")
_POSTAL_CODE_RE = re.compile(r"[0-9]{5}")
_LOCALE_RE = re.compile(r"([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}))?")

# A road-name address (도로명주소) names a road ending in 로, 길 or 가 (digits may sit inside:
# 학동2길, 백제고분로35번길, 종로1가) followed by the building number (152, 12-3, 지하 15).
# Lot-number addresses (지번) name a 동/리 and a lot instead, so they do not match. A lot address in
# a dong whose name ends in 가 (종로1가 24) cannot be told apart by shape alone.
_ROAD_RE = re.compile(
    r"(?<!\S)(?P<road>[가-힣][가-힣0-9]*(?:로|길|가))\s*"
    r"(?P<building>(?:지하\s*)?[0-9]{1,5}(?:-[0-9]{1,5})?)(?=$|[\s,(])"
)
_WHITESPACE_RE = re.compile(r"\s+")


def _invalid(code: str, message: str) -> InvalidInput:
    return InvalidInput(message, code=code)


def _parse_phone(raw: str, region: str | None) -> phonenumbers.PhoneNumber:
    if not isinstance(raw, str) or not raw.strip() or len(raw) > _MAX_PHONE_CHARS:
        raise _invalid("invalid_phone", "phone number is empty or too long")
    try:
        return phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException as exc:
        raise _invalid(
            "invalid_phone",
            "phone number could not be read; use international form such as +82 10-1234-5678",
        ) from exc


def normalise_kr_mobile(raw: str) -> str:
    """Return a Korean mobile number in E.164 (``+821012345678``) from any common spelling."""
    number = _parse_phone(raw, "KR")
    national = str(number.national_number)
    if (
        number.country_code != 82
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE
        # 010 numbers have had an 8-digit subscriber part since 2004; the metadata still
        # accepts the old 7-digit form, which today is almost always a typo.
        or (national.startswith("10") and len(national) != 10)
    ):
        raise _invalid(
            "invalid_phone", "not a valid Korean mobile number (expected e.g. 010-1234-5678)"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_phone(raw: str, region: str | None = None) -> str:
    """Return any country's valid phone number in E.164; ``region`` reads national spellings."""
    parse_region = normalise_country(region) if region is not None else None
    number = _parse_phone(raw, parse_region)
    if not phonenumbers.is_valid_number(number):
        raise _invalid("invalid_phone", "not a valid phone number for its country")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_international(e164: str) -> str:
    """An E.164 number as people abroad write it (``+86 138 0013 8000``); as is if unparsable."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def format_kr_national(e164: str) -> str:
    """Format a Korean E.164 number the way Koreans write it: ``010-1234-5678``, ``02-123-4567``."""
    digits = e164.removeprefix("+82")
    if digits == e164 or not digits.isdigit() or len(digits) < 7:
        raise _invalid("invalid_phone", "not a Korean number in E.164 form")
    national = "0" + digits
    # Seoul has a 2-digit area code and 050x personal/safe numbers a 4-digit prefix; the rest
    # use 3. phonenumbers groups 050x numbers differently from Korean usage.
    if national.startswith("02"):
        head = 2
    elif national.startswith("050"):
        head = 4
    else:
        head = 3
    return f"{national[:head]}-{national[head:-4]}-{national[-4:]}"


def normalise_email(raw: str) -> str:
    """Return a syntactically valid e-mail address with its domain in lower case."""
    if not isinstance(raw, str):
        raise _invalid("invalid_email", "e-mail address must be text")
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        # The library's reason may quote the address, so it is not passed on.
        raise _invalid(
            "invalid_email", "not a valid e-mail address (expected e.g. hong@example.com)"
        ) from exc
    return f"{result.local_part}@{result.domain.lower()}"


def normalise_country(raw: str) -> str:
    """Return an ISO 3166-1 alpha-2 country code in upper case; names and alpha-3 are refused."""
    code = raw.strip().upper() if isinstance(raw, str) else ""
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise _invalid(
            "invalid_country", "country must be an ISO 3166-1 alpha-2 code such as KR or US"
        )
    if pycountry.countries.get(alpha_2=code) is None:
        raise _invalid("invalid_country", f"'{code}' is not an ISO 3166-1 alpha-2 country code")
    return code


def normalise_customs_code(raw: str) -> str:
    """Return a Korean personal customs clearance code (``P`` + 12 digits) in upper case."""
    code = raw.strip(" ") if isinstance(raw, str) else ""
    if not _CUSTOMS_CODE_RE.fullmatch(code):
        raise _invalid(
            "invalid_customs_code",
            "personal customs clearance code must be P followed by 12 digits",
        )
    return code.upper()


@dataclass(frozen=True)
class RoadAddress:
    """A Korean road-name address: 5-digit postal code, road line and optional detail line."""

    postal_code: str
    line1: str
    line2: str | None


def _clean_text(raw: str) -> str:
    # NFC so that Hangul typed on systems that decompose syllables compares and masks per
    # syllable; control and format characters can hide text from reviewers.
    text = unicodedata.normalize("NFC", raw).strip()
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Co", "Cs"} for ch in text):
        raise ValueError("control character")
    return _WHITESPACE_RE.sub(" ", text)


def split_road_address(line1: str) -> tuple[str, str] | None:
    """Split a road-name address line into (everything up to the road name, building number)."""
    match = _ROAD_RE.search(line1)
    if match is None:
        return None
    return line1[: match.end("road")], match.group("building")


def normalise_road_address(postal_code: str, line1: str, line2: str | None = None) -> RoadAddress:
    """Validate a Korean road-name address; lot-number (지번) addresses are refused."""
    postal = postal_code.strip() if isinstance(postal_code, str) else ""
    if not _POSTAL_CODE_RE.fullmatch(postal):
        raise _invalid("invalid_postal_code", "postal code must be the 5-digit Korean code")
    address_message = (
        'expected a road-name address (도로명주소) such as "서울특별시 강남구 테헤란로 152"'
    )
    try:
        road_line = _clean_text(line1) if isinstance(line1, str) else ""
        detail = _clean_text(line2) if isinstance(line2, str) else None
    except ValueError as exc:
        raise _invalid("invalid_address", "address contains control characters") from exc
    if not road_line or len(road_line) > _MAX_ADDRESS_LINE_CHARS:
        raise _invalid(
            "invalid_address", f"address line 1 must be 1 to {_MAX_ADDRESS_LINE_CHARS} characters"
        )
    if detail is not None and len(detail) > _MAX_ADDRESS_LINE_CHARS:
        raise _invalid(
            "invalid_address",
            f"address line 2 must be at most {_MAX_ADDRESS_LINE_CHARS} characters",
        )
    if split_road_address(road_line) is None:
        raise _invalid("invalid_address", address_message)
    return RoadAddress(postal_code=postal, line1=road_line, line2=detail or None)


def normalise_locale(raw: str) -> str:
    """Return a BCP 47 style locale (``ko`` or ``ko-KR``) from ``ko``, ``ko_KR``, ``en-US``..."""
    match = _LOCALE_RE.fullmatch(raw.strip()) if isinstance(raw, str) else None
    if match is None or not match.group(1).isascii():
        raise _invalid("invalid_locale", "locale must look like ko, ko-KR or en-US")
    language = match.group(1).lower()
    known = (
        pycountry.languages.get(alpha_2=language)
        if len(language) == 2
        else pycountry.languages.get(alpha_3=language)
    )
    if known is None:
        raise _invalid("invalid_locale", f"'{language}' is not an ISO 639 language code")
    if match.group(2) is None:
        return language
    try:
        region = normalise_country(match.group(2))
    except InvalidInput as exc:
        message = "locale region must be an ISO 3166-1 alpha-2 code"
        raise _invalid("invalid_locale", message) from exc
    return f"{language}-{region}"


def normalise_person_name(raw: str) -> str:
    """Return a person's name with spaces collapsed; 1 to 100 characters, no control characters."""
    if not isinstance(raw, str):
        raise _invalid("invalid_name", "name must be text")
    try:
        name = _clean_text(raw)
    except ValueError as exc:
        raise _invalid("invalid_name", "name contains control characters") from exc
    if not 1 <= len(name) <= _MAX_NAME_CHARS:
        raise _invalid("invalid_name", f"name must be 1 to {_MAX_NAME_CHARS} characters")
    return name
