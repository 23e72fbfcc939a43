"""Seed a marketplace: terms, thousands of recipients abroad, and Korean customers."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import phonenumbers
from faker import Faker

from gatehouse.demo.korea import KoreanCustomers
from gatehouse.domain.recipients import Certification, PrivacyOfficer
from gatehouse.domain.subjects import SubjectPII
from gatehouse.services import recipients as recipient_service
from gatehouse.services import subjects as subject_service
from gatehouse.services import terms as terms_service
from gatehouse.services.access import issue_operator_key
from gatehouse.services.runtime import Gatehouse

__all__ = ["SeedReport", "seed_marketplace", "DEMO_TERMS"]

# Country, Faker locale, e-mail TLD and weight: most sellers are in China, as on the
# platforms the PIPC fined, with a long tail elsewhere.
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

DEMO_TERMS = {
    "safety_measures": (
        "The recipient applies the safety measures of PIPA Art. 29: access control, "
        "encryption in transit and at rest, access logs kept for at least one year."
    ),
    "complaint_handling": (
        "Complaints from data subjects are answered within 10 days; disputes go to the "
        "Personal Information Dispute Mediation Committee."
    ),
    "purpose_limitation": (
        "Customer data is used only to fulfil and deliver the order it came with, and for "
        "no marketing or profiling."
    ),
    "deletion": (
        "The recipient deletes customer data when the view closes, when the customer asks, "
        "or at the end of the retention period, and confirms the deletion."
    ),
    "onward_transfer": (
        "No onward transfer to a third party or country without the marketplace's consent "
        "and protection equivalent to these terms."
    ),
}


@dataclass
class SeedReport:
    """What the seeding made: keys to try, and every PII value it stored (for tests)."""

    operator_key: str
    recipient_key: str
    recipients: int
    countries: int
    subjects: int
    seeded_pii: list[SubjectPII] = field(default_factory=list, repr=False)


Progress = Callable[[str, int], None]


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


def _recipients(count: int, seed: int) -> list[recipient_service.RecipientInput]:
    rnd = random.Random(seed)
    fakers = {locale: Faker(locale) for _, locale, _, _ in _COUNTRIES}
    for offset, faker in enumerate(fakers.values()):
        faker.seed_instance(seed + offset)
    weights = [w for *_, w in _COUNTRIES]
    # Every country appears at least once, then the weights decide the rest.
    picks = list(_COUNTRIES) + rnd.choices(
        _COUNTRIES, weights=weights, k=max(0, count - len(_COUNTRIES))
    )
    inputs = []
    for index, (country, locale, tld, _) in enumerate(picks[:count]):
        faker = fakers[locale]
        kind = rnd.choices(["seller", "logistics", "storage"], weights=[90, 7, 3])[0]
        slug = f"{kind[:3]}{index:05d}"
        name = f"{faker.company()} ({slug})"
        incomplete = rnd.random()
        officer = PrivacyOfficer(
            name=faker.name(), email=f"privacy@{slug}.example.{tld}", phone=_mobile(country, rnd)
        )
        if incomplete < 0.06:
            officer = PrivacyOfficer()  # no privacy officer named yet
        certifications: list[Certification] = []
        if kind != "seller" and rnd.random() < 0.5:
            expires = date(2026, 1, 1) + timedelta(days=rnd.randint(0, 1400))
            certifications.append(Certification("ISMS-P", f"ISMS-P-{index:05d}", expires))
        inputs.append(
            recipient_service.RecipientInput(
                kind=kind,
                legal_name=name,
                country=country,
                contact_phone=None if 0.06 <= incomplete < 0.09 else _mobile(country, rnd),
                contact_email=None if 0.06 <= incomplete < 0.09 else f"ops@{slug}.example.{tld}",
                privacy_officer=officer,
                purposes=["fulfilment"] if kind == "seller" else ["fulfilment", "customer_service"],
                retention_days=rnd.choice([30, 60, 90]),
                certifications=certifications,
            )
        )
    return inputs


def seed_marketplace(
    gh: Gatehouse,
    *,
    recipients: int = 2000,
    subjects: int = 10000,
    seed: int = 2024,
    batch: int = 500,
    progress: Progress | None = None,
) -> SeedReport:
    """Fill an empty Gatehouse with a marketplace; ``progress(stage, n)`` reports each batch."""
    rnd = random.Random(seed)
    terms = terms_service.publish_terms(gh, "2026-01", DEMO_TERMS)
    inputs = _recipients(recipients, seed)
    registered: list[recipient_service.Registered] = []
    for start in range(0, len(inputs), batch):
        chunk = inputs[start : start + batch]
        registered.extend(recipient_service.register_recipients(gh, chunk))
        if progress:
            progress("recipients", len(chunk))
    # As on a real platform, some sellers never accepted the terms, and a few were suspended.
    for item in registered:
        if rnd.random() < 0.85:
            recipient_service.accept_terms(gh, item.standing.recipient.id, terms.version)
    for item in rnd.sample(registered, k=max(1, len(registered) // 200)):
        recipient_service.suspend_recipient(
            gh, item.standing.recipient.id, "complaints under review"
        )
    customers = KoreanCustomers(seed)
    seeded: list[SubjectPII] = []
    for start in range(0, subjects, batch):
        pii_batch = [customers.one(i) for i in range(start, min(subjects, start + batch))]
        subject_service.create_subjects(
            gh,
            [
                subject_service.NewSubject(
                    pii=pii,
                    residence_country="KR",
                    locale="ko-KR" if rnd.random() < 0.95 else "en-US",
                )
                for pii in pii_batch
            ],
        )
        seeded.extend(pii_batch)
        if progress:
            progress("subjects", len(pii_batch))
    operator_key = issue_operator_key(gh.engine, gh.clock(), label="demo")
    eligible = next(r for r in registered if r.standing.recipient.privacy_officer.has_contact)
    return SeedReport(
        operator_key=operator_key,
        recipient_key=eligible.api_key,
        recipients=len(registered),
        countries=len({r.standing.recipient.country for r in registered}),
        subjects=len(seeded),
        seeded_pii=seeded,
    )
