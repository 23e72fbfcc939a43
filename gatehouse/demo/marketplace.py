"""Seed a marketplace: terms, thousands of recipients abroad, and Korean customers."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import phonenumbers
from faker import Faker

from gatehouse.demo.korea import KoreanCustomers
from gatehouse.demo.operator import demo_operator_profile
from gatehouse.domain.orders import OrderItem
from gatehouse.domain.recipients import Certification, PrivacyOfficer
from gatehouse.domain.subjects import SubjectPII
from gatehouse.services import consents as consent_service
from gatehouse.services import notices as notice_service
from gatehouse.services import operator_profile as profile_service
from gatehouse.services import orders as order_service
from gatehouse.services import recipients as recipient_service
from gatehouse.services import subjects as subject_service
from gatehouse.services import terms as terms_service
from gatehouse.services import transfers as transfer_service
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
    privacy_subject_id: str = ""
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
            # ISMS-P runs three years; some demo certificates have lapsed already.
            issued = date(2023, 6, 1) + timedelta(days=rnd.randint(0, 1000))
            certifications.append(
                Certification(
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
                    implementation_measures=(
                        "The certified controls are audited yearly at the overseas site."
                    ),
                )
            )
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


_NOTES = (
    "문 앞에 놓아 주세요",
    "경비실에 맡겨 주세요",
    "부재 시 010-2222-3333 으로 연락 주세요",
    "",
)


def _order_activity(
    gh: Gatehouse,
    rnd: random.Random,
    subject_ids: list[str],
    sellers: list[recipient_service.Registered],
) -> tuple[recipient_service.Registered, str]:
    """Orders for the first customers: most consent and are transferred, some refuse.

    Returns the seller with the most transfers and a customer with several, so the demo's
    recipient key and privacy-center link show something at once.
    """
    counts: dict[str, int] = {}
    by_subject: dict[str, int] = {}
    for number, subject_id in enumerate(subject_ids):
        chosen = rnd.sample(sellers[:40], k=rnd.randint(1, 3))
        ids = [item.standing.recipient.id for item in chosen]
        notice = notice_service.render_for_subject(
            gh,
            subject_id=subject_id,
            recipient_ids=ids,
            countries=[],
            purpose="fulfilment",
            flow="provision",
            locale=None,
        )
        granted = rnd.random() < 0.9  # some customers refuse; their orders are refused too
        consent_service.record_consent(gh, subject_id, notice.hash, granted=granted, channel="web")
        for item in chosen:
            order_id = order_service.create_order(
                gh,
                order_service.NewOrder(
                    subject_id=subject_id,
                    recipient_id=item.standing.recipient.id,
                    external_ref=f"KR-{number:06d}-{item.standing.recipient.id[-6:]}",
                    items=[
                        OrderItem(f"SKU-{rnd.randint(1000, 9999)}", "생활용품", rnd.randint(1, 3))
                    ],
                    delivery_note=rnd.choice(_NOTES) or None,
                    customs_required=rnd.random() < 0.3,
                ),
            )
            outcome = transfer_service.request_transfer(
                gh, order_id, purpose="fulfilment", flow="provision"
            )
            if outcome.decision.allowed:
                counts[item.standing.recipient.id] = counts.get(item.standing.recipient.id, 0) + 1
                by_subject[subject_id] = by_subject.get(subject_id, 0) + 1
    busiest_id = max(counts, key=lambda rid: counts[rid])
    busiest = next(item for item in sellers if item.standing.recipient.id == busiest_id)
    customer = max(by_subject, key=lambda sid: by_subject[sid])
    return busiest, customer


def seed_marketplace(
    gh: Gatehouse,
    *,
    recipients: int = 2000,
    subjects: int = 10000,
    activity: int = 150,
    seed: int = 2024,
    batch: int = 500,
    progress: Progress | None = None,
) -> SeedReport:
    """Fill an empty Gatehouse with a marketplace; ``progress(stage, n)`` reports each batch."""
    rnd = random.Random(seed)
    profile_service.set_profile(gh, demo_operator_profile())
    terms = terms_service.publish_terms(gh, "2026-01", DEMO_TERMS)
    inputs = _recipients(recipients, seed)
    registered: list[recipient_service.Registered] = []
    for start in range(0, len(inputs), batch):
        chunk = inputs[start : start + batch]
        registered.extend(recipient_service.register_recipients(gh, chunk))
        if progress:
            progress("recipients", len(chunk))
    # As on a real platform, some sellers never accepted the terms, and a few were suspended.
    accepted = []
    for item in registered:
        if rnd.random() < 0.85:
            recipient_service.accept_terms(gh, item.standing.recipient.id, terms.version)
            accepted.append(item)
    suspended = rnd.sample(registered, k=max(1, len(registered) // 200))
    for item in suspended:
        recipient_service.suspend_recipient(
            gh, item.standing.recipient.id, "complaints under review"
        )
    customers = KoreanCustomers(seed)
    seeded: list[SubjectPII] = []
    subject_ids: list[str] = []
    for start in range(0, subjects, batch):
        pii_batch = [customers.one(i) for i in range(start, min(subjects, start + batch))]
        created = subject_service.create_subjects(
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
        subject_ids.extend(subject.id for subject in created)
        if progress:
            progress("subjects", len(pii_batch))
    banned = {item.standing.recipient.id for item in suspended}
    sellers = [
        item
        for item in accepted
        if item.standing.recipient.id not in banned
        and item.standing.recipient.kind.value == "seller"
        and item.standing.recipient.privacy_officer.has_contact
        and (item.standing.recipient.contact_phone or item.standing.recipient.contact_email)
    ]
    busiest, customer = _order_activity(gh, rnd, subject_ids[:activity], sellers)
    operator_key = issue_operator_key(gh, gh.clock(), label="demo")
    return SeedReport(
        operator_key=operator_key,
        recipient_key=busiest.api_key,
        privacy_subject_id=customer,
        recipients=len(registered),
        countries=len({r.standing.recipient.country for r in registered}),
        subjects=len(seeded),
        seeded_pii=seeded,
    )
