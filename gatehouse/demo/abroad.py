"""The demo's recipients abroad: mostly sellers, and a handful of carriers and warehouses.

Sellers are provided data with the customer's consent; the logistics and storage companies
are entrustees, which the privacy policy names one by one, so each has complete particulars.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import phonenumbers
from faker import Faker

from gatehouse.demo.companies import CompanyNames
from gatehouse.domain.recipients import Certification, PrivacyOfficer
from gatehouse.services.recipients import RecipientInput

__all__ = ["ENTRUSTEE_KINDS", "recipients_abroad"]

# Country, Faker locale (for people's names), e-mail TLD and weight: most sellers are in
# China, as on the platforms the PIPC fined, with a long tail elsewhere.
_COUNTRIES: list[tuple[str, str, str, int]] = [
    ("CN", "zh_CN", "cn", 52),
    ("HK", "zh_TW", "hk", 6),
    ("TW", "zh_TW", "tw", 3),
    ("SG", "en_US", "sg", 4),
    ("JP", "ja_JP", "jp", 4),
    ("US", "en_US", "com", 5),
    ("VN", "vi_VN", "vn", 3),
    ("TH", "th_TH", "co.th", 2),
    ("ID", "id_ID", "co.id", 2),
    ("MY", "en_US", "com.my", 2),
    ("PH", "en_PH", "ph", 1),
    ("IN", "en_IN", "in", 2),
    ("TR", "tr_TR", "com.tr", 1),
    ("DE", "de_DE", "de", 2),
    ("FR", "fr_FR", "fr", 1),
    ("GB", "en_GB", "co.uk", 2),
    ("IT", "it_IT", "it", 1),
    ("ES", "es_ES", "es", 1),
    ("NL", "nl_NL", "nl", 1),
    ("AU", "en_AU", "com.au", 1),
    ("CA", "en_CA", "ca", 1),
    ("MX", "es_MX", "mx", 1),
    ("BR", "pt_BR", "com.br", 1),
]
_BY_CODE = {code: (locale, tld) for code, locale, tld, _ in _COUNTRIES}

# The carriers and warehouses, in the hubs a marketplace ships through; the first ones are
# used when the demo is small.
_ENTRUSTEES: list[tuple[str, str]] = [
    ("logistics", "CN"),
    ("storage", "HK"),
    ("logistics", "SG"),
    ("logistics", "JP"),
    ("storage", "US"),
    ("logistics", "DE"),
    ("logistics", "HK"),
    ("storage", "SG"),
    ("logistics", "VN"),
    ("logistics", "US"),
    ("storage", "DE"),
    ("logistics", "GB"),
]
ENTRUSTEE_KINDS = frozenset(kind for kind, _ in _ENTRUSTEES)


def _mobile(region: str, rnd: random.Random) -> str:
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        example = phonenumbers.example_number(region)
    assert example is not None
    national = str(example.national_number)
    # Vary the tail but keep the operator prefix, so the number stays valid.
    for _ in range(20):
        tail = "".join(rnd.choice("0123456789") for _ in range(4))
        candidate = phonenumbers.parse(f"+{example.country_code}{national[:-4]}{tail}")
        if phonenumbers.is_valid_number(candidate):
            return phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164)
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)


def _certification(index: int, rnd: random.Random) -> Certification:
    # ISMS-P runs three years; some demo certificates have lapsed already.
    issued = date(2023, 6, 1) + timedelta(days=rnd.randint(0, 1000))
    return Certification(
        scheme="ISMS-P",
        id=f"ISMS-P-{index:05d}",
        issuer=rnd.choice(["KISA", "FSI"]),
        issued_on=issued,
        expires_on=issued + timedelta(days=3 * 365 - 1),
        covers=("entrustment", "storage"),
        safety_and_rights_measures=(
            "Access control, encryption at rest, access logs kept one year; "
            "rights requests answered within 10 days."
        ),
        implementation_measures="The certified controls are audited yearly at the overseas site.",
    )


def recipients_abroad(count: int, seed: int) -> list[RecipientInput]:
    """``count`` recipients abroad: a handful of entrustees, the rest sellers in every country.

    About one seller in sixteen has no privacy officer named yet and a few no contact, as on
    a real platform; the entrustees are always complete, since the policy names them.
    """
    rnd = random.Random(seed)
    names = CompanyNames(seed)
    fakers = {locale: Faker(locale) for _, locale, _, _ in _COUNTRIES}
    for offset, faker in enumerate(fakers.values()):
        faker.seed_instance(seed + offset)
    entrustees = _ENTRUSTEES[: max(1, min(len(_ENTRUSTEES), count // 20))]
    sellers = count - len(entrustees)
    weights = [w for *_, w in _COUNTRIES]
    # Every country has at least one seller, then the weights decide the rest.
    picks = [code for code, *_ in _COUNTRIES] + [
        code for code, *_ in rnd.choices(_COUNTRIES, weights=weights, k=max(0, sellers - 23))
    ]
    plan = entrustees + [("seller", code) for code in picks[:sellers]]
    inputs = []
    for index, (kind, country) in enumerate(plan[:count]):
        locale, tld = _BY_CODE[country]
        faker = fakers[locale]
        slug = f"{kind[:3]}{index:05d}"
        officer = PrivacyOfficer(
            name=faker.name(), email=f"privacy@{slug}.example.{tld}", phone=_mobile(country, rnd)
        )
        gaps = rnd.random() if kind == "seller" else 1.0
        if gaps < 0.06:
            officer = PrivacyOfficer()  # no privacy officer named yet
        certifications: list[Certification] = []
        if kind != "seller" and rnd.random() < 0.5:
            certifications.append(_certification(index, rnd))
        inputs.append(
            RecipientInput(
                kind=kind,
                legal_name=names.one(kind, country),
                country=country,
                contact_phone=None if 0.06 <= gaps < 0.09 else _mobile(country, rnd),
                contact_email=None if 0.06 <= gaps < 0.09 else f"ops@{slug}.example.{tld}",
                privacy_officer=officer,
                purposes=["fulfilment"] if kind == "seller" else ["fulfilment", "customer_service"],
                retention_days=rnd.choice([30, 60, 90]),
                certifications=certifications,
            )
        )
    return inputs
