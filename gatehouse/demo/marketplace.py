"""Seed a marketplace: terms, thousands of recipients abroad, Korean customers, the policy."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from gatehouse.demo.abroad import ENTRUSTEE_KINDS, recipients_abroad
from gatehouse.demo.history import DemoClock, DemoHistory
from gatehouse.demo.korea import KoreanCustomers
from gatehouse.demo.operator import demo_operator_profile
from gatehouse.domain.orders import OrderItem
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
from gatehouse.services.ledger import make_checkpoint
from gatehouse.services.privacy_policy import publish_policy
from gatehouse.services.runtime import Gatehouse

__all__ = ["DEMO_TERMS", "PolicyReport", "SeedReport", "seed_marketplace"]

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
class PolicyReport:
    """The privacy-policy version the demo published, and what its register must show."""

    version: int
    register_count: int
    # Every recipient abroad the demo registered, by id, with its legal name.
    abroad: dict[str, str] = field(repr=False)
    # The logistics and storage companies among them, which the policy names as entrustees.
    entrustees: dict[str, str] = field(repr=False)
    # Suspended before any transfer: the register leaves them out.
    suspended: frozenset[str] = field(repr=False)
    # Those with an allowed transfer: the register marks them as having received data.
    received: frozenset[str] = field(repr=False)


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
    policy: PolicyReport | None = None


Progress = Callable[[str, int], None]


_NOTES = (
    "문 앞에 놓아 주세요",
    "경비실에 맡겨 주세요",
    "부재 시 010-2222-3333 으로 연락 주세요",
    "",
)


@dataclass(frozen=True)
class _Activity:
    # The seller with the most transfers and a customer with several, so the demo's
    # recipient key and privacy-center link show something at once.
    busiest: recipient_service.Registered
    customer: str
    received: frozenset[str]


def _order_activity(
    gh: Gatehouse,
    rnd: random.Random,
    subject_ids: list[str],
    sellers: list[recipient_service.Registered],
    history: DemoHistory | None,
) -> _Activity:
    """Orders for the first customers: most consent and are transferred, some refuse."""
    counts: dict[str, int] = {}
    by_subject: dict[str, int] = {}
    for number, subject_id in enumerate(subject_ids):
        if history is not None:
            history.at_order(number, by_subject)
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
    return _Activity(busiest, customer, frozenset(counts))


def _accept_terms(gh: Gatehouse, recipient_ids: list[str], version: str) -> None:
    """What :func:`recipient_service.accept_terms` records, for many recipients at once.

    One transaction per batch rather than one per recipient (on PostgreSQL that took 12 s of
    the demo's seeding); the version is checked to be the current terms, as the service does,
    and the recipients are the ones just registered.
    """
    now = gh.clock()
    with gh.unit_of_work() as uow:
        current = uow.terms.current()
        if current is None or current.version != version:
            raise RuntimeError(f"terms {version!r} are not the current version")
        for recipient_id in recipient_ids:
            uow.recipients.set_accepted_terms(recipient_id, version, now)


def seed_marketplace(
    gh: Gatehouse,
    *,
    recipients: int = 2000,
    subjects: int = 10000,
    activity: int = 150,
    seed: int = 2024,
    batch: int = 500,
    progress: Progress | None = None,
    clock: DemoClock | None = None,
) -> SeedReport:
    """Fill an empty Gatehouse with a marketplace; ``progress(stage, n)`` reports each batch.

    The recipients are registered ``batch`` at a time through the service's bulk path (one
    transaction per batch); the privacy policy is published last, so its register shows who
    received data in the order activity. Given the Gatehouse's ``clock``, the marketplace
    lives its past months (:mod:`gatehouse.demo.history`) and ends with a signed checkpoint.
    """
    rnd = random.Random(seed)
    history = None if clock is None else DemoHistory(gh, clock, activity)
    if history is not None:
        history.begin()
    profile_service.set_profile(gh, demo_operator_profile())
    terms = terms_service.publish_terms(gh, "2026-01", DEMO_TERMS)
    inputs = recipients_abroad(recipients, seed)
    registered: list[recipient_service.Registered] = []
    for start in range(0, len(inputs), batch):
        chunk = inputs[start : start + batch]
        registered.extend(recipient_service.register_recipients(gh, chunk))
        if progress:
            progress("recipients", len(chunk))
    # As on a real platform, some sellers never accepted the terms, and a few were suspended.
    accepted = [item for item in registered if rnd.random() < 0.85]
    for start in range(0, len(accepted), batch):
        ids = [item.standing.recipient.id for item in accepted[start : start + batch]]
        _accept_terms(gh, ids, terms.version)
    suspended = rnd.sample(registered, k=max(1, len(registered) // 200))
    for item in suspended:
        recipient_service.suspend_recipient(
            gh, item.standing.recipient.id, "complaints under review"
        )
    if history is not None:
        publish_policy(gh)  # the policy in force through the demo's past
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
    activity_done = _order_activity(gh, rnd, subject_ids[:activity], sellers, history)
    if history is not None:
        history.end()
    if progress:
        progress("policy", 0)
    published = publish_policy(gh).version
    if history is not None:
        make_checkpoint(gh)  # so an audit of the past proves its samples at once
    if progress:
        progress("policy", 1)
    operator_key = issue_operator_key(gh, gh.clock(), label="demo")
    abroad = {r.standing.recipient.id: r.standing.recipient for r in registered}
    return SeedReport(
        operator_key=operator_key,
        recipient_key=activity_done.busiest.api_key,
        privacy_subject_id=activity_done.customer,
        recipients=len(registered),
        countries=len({r.standing.recipient.country for r in registered}),
        subjects=len(seeded),
        seeded_pii=seeded,
        policy=PolicyReport(
            version=published.version,
            register_count=published.register_count,
            abroad={rid: r.legal_name or "" for rid, r in abroad.items()},
            entrustees={
                rid: r.legal_name or ""
                for rid, r in abroad.items()
                if r.kind.value in ENTRUSTEE_KINDS
            },
            suspended=frozenset(banned),
            received=activity_done.received,
        ),
    )
