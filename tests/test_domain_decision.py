"""The transfer decision, with no database: fixed cases and Hypothesis properties."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from gatehouse.domain.decision import ConsentFact, DisclosureFact, Refusal, TransferFacts, decide
from gatehouse.domain.recipients import (
    Certification,
    PrivacyOfficer,
    Recipient,
    RecipientKind,
    RecipientStatus,
)
from gatehouse.rules import load_packs

PACK = load_packs().by_id("KR-PIPA")
AT = datetime(2026, 11, 28, tzinfo=UTC)
TODAY = date(2026, 11, 28)

RECIPIENT = Recipient(
    id="rcp_1",
    kind=RecipientKind.SELLER,
    legal_name="Shenzhen Bright Trade Co., Ltd.",
    country="CN",
    contact_phone="+8613800138000",
    contact_email="ops@bright.example.cn",
    privacy_officer=PrivacyOfficer("Li Wei", "privacy@bright.example.cn", None),
    purposes=("fulfilment",),
    retention_days=90,
    certifications=(),
    webhook_url=None,
    status=RecipientStatus.ACTIVE,
    accepted_terms_version="t1",
    created_at=AT,
    updated_at=AT,
)
FINGERPRINT = "f" * 64
CONSENT = ConsentFact("con_1", "a" * 64, "fulfilment", {"rcp_1": FINGERPRINT})


def facts(**changes: object) -> TransferFacts:
    base = TransferFacts(
        subject_deleted=False,
        recipient=RECIPIENT,
        recipient_gaps=(),
        recipient_fingerprint=FINGERPRINT,
        country_suspended=False,
        purpose="fulfilment",
        flow="provision",
        today=TODAY,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_consent_allows_provision() -> None:
    decision = decide(PACK, facts(consents=[CONSENT]))
    assert decision.allowed and decision.basis == "SEPARATE_CONSENT"
    assert decision.notice_hash == CONSENT.notice_hash


def test_checks_run_in_order() -> None:
    everything_wrong = facts(
        subject_deleted=True,
        recipient_gaps=["accepted_terms"],
        recipient=replace(RECIPIENT, status=RecipientStatus.SUSPENDED),
        country_suspended=True,
    )
    assert decide(PACK, everything_wrong).refusal is Refusal.SUBJECT_DELETED
    no_subject_problem = replace(everything_wrong, subject_deleted=False)
    assert decide(PACK, no_subject_problem).refusal is Refusal.RECIPIENT_NOT_ELIGIBLE
    eligible = replace(no_subject_problem, recipient_gaps=())
    assert decide(PACK, eligible).refusal is Refusal.RECIPIENT_SUSPENDED
    active = replace(eligible, recipient=RECIPIENT)
    assert decide(PACK, active).refusal is Refusal.COUNTRY_SUSPENDED
    assert decide(PACK, replace(active, country_suspended=False)).refusal is Refusal.NO_LAWFUL_BASIS


def test_changed_recipient_invalidates_consent() -> None:
    decision = decide(PACK, facts(consents=[CONSENT], recipient_fingerprint="e" * 64))
    assert decision.refusal is Refusal.NO_LAWFUL_BASIS
    assert decision.details["stale_notices"] == [CONSENT.notice_hash]
    assert "ask for consent again" in decision.message


def test_consent_for_another_purpose_or_recipient_does_not_fit() -> None:
    other_purpose = ConsentFact("c", "b" * 64, "customer_service", {"rcp_1": FINGERPRINT})
    other_recipient = ConsentFact("c", "b" * 64, "fulfilment", {"rcp_2": FINGERPRINT})
    for consent in (other_purpose, other_recipient):
        assert decide(PACK, facts(consents=[consent])).refusal is Refusal.NO_LAWFUL_BASIS


def test_disclosure_fits_entrustment_but_never_provision() -> None:
    disclosure = DisclosureFact("d" * 64, "fulfilment", {"rcp_1": FINGERPRINT})
    entrust = decide(PACK, facts(flow="entrustment", disclosures=[disclosure]))
    assert entrust.allowed and entrust.basis == "CONTRACT_ENTRUST_STORE"
    provide = decide(PACK, facts(flow="provision", disclosures=[disclosure]))
    assert provide.refusal is Refusal.NO_LAWFUL_BASIS


def test_certification_must_be_unexpired() -> None:
    expired = replace(RECIPIENT, certifications=(Certification("ISMS-P", "1", date(2026, 11, 27)),))
    assert decide(PACK, facts(recipient=expired)).refusal is Refusal.NO_LAWFUL_BASIS
    valid = replace(RECIPIENT, certifications=(Certification("ISMS-P", "1", TODAY),))
    decision = decide(PACK, facts(recipient=valid))
    assert decision.allowed and decision.basis == "RECIPIENT_CERTIFIED"


def test_adequacy_needs_the_country_on_the_packs_list() -> None:
    assert decide(PACK, facts()).refusal is Refusal.NO_LAWFUL_BASIS
    adequate_pack = PACK.model_copy(update={"adequate_countries": ["CN"]})
    decision = decide(adequate_pack, facts())
    assert decision.allowed and decision.basis == "ADEQUATE_COUNTRY"


def test_unregistered_purpose_is_refused() -> None:
    decision = decide(PACK, facts(purpose="customer_service", consents=[CONSENT]))
    assert decision.refusal is Refusal.NO_LAWFUL_BASIS
    assert "not registered for purpose" in decision.message


# --- properties ---------------------------------------------------------------------------

fingerprints = st.sampled_from(["f" * 64, "e" * 64])
recipient_ids = st.sampled_from(["rcp_1", "rcp_2"])
purposes = st.sampled_from(["fulfilment", "customer_service"])
consents = st.builds(
    ConsentFact,
    consent_id=st.just("c"),
    notice_hash=st.sampled_from(["a" * 64, "b" * 64]),
    purpose=purposes,
    recipients=st.dictionaries(recipient_ids, fingerprints, max_size=2),
)
disclosures = st.builds(
    DisclosureFact,
    notice_hash=st.just("d" * 64),
    purpose=purposes,
    recipients=st.dictionaries(recipient_ids, fingerprints, max_size=2),
)
certifications = st.lists(
    st.builds(
        Certification,
        scheme=st.just("ISMS-P"),
        id=st.just("x"),
        expires_on=st.dates(date(2026, 11, 20), date(2026, 12, 5)),
    ),
    max_size=2,
)
recipients = st.builds(
    lambda status, certs, purposes_, country: replace(
        RECIPIENT,
        status=status,
        certifications=tuple(certs),
        purposes=tuple(purposes_),
        country=country,
    ),
    st.sampled_from(list(RecipientStatus)),
    certifications,
    st.lists(purposes, max_size=2, unique=True),
    st.sampled_from(["CN", "JP", "US"]),
)
all_facts = st.builds(
    TransferFacts,
    subject_deleted=st.booleans(),
    recipient=recipients,
    recipient_gaps=st.lists(st.sampled_from(["contact", "accepted_terms"]), max_size=2),
    recipient_fingerprint=fingerprints,
    country_suspended=st.booleans(),
    purpose=purposes,
    flow=st.sampled_from(["provision", "entrustment", "storage", "inquiry"]),
    today=st.just(TODAY),
    consents=st.lists(consents, max_size=3),
    disclosures=st.lists(disclosures, max_size=2),
    legal_provision=st.one_of(st.none(), st.just(""), st.just("Customs Act Art. 241")),
)


def _basis_fits(f: TransferFacts, basis: str) -> bool:
    """An independent statement of when each basis fits, written from the law, not the code."""
    r = f.recipient
    if f.flow not in PACK.bases[basis].flows:
        return False
    if basis == "SEPARATE_CONSENT":
        return any(
            c.purpose == f.purpose and c.recipients.get(r.id) == f.recipient_fingerprint
            for c in f.consents
        )
    if basis == "CONTRACT_ENTRUST_STORE":
        return f.flow in ("entrustment", "storage") and any(
            d.purpose == f.purpose and d.recipients.get(r.id) == f.recipient_fingerprint
            for d in f.disclosures
        )
    if basis == "RECIPIENT_CERTIFIED":
        return any(c.expires_on >= f.today for c in r.certifications)
    if basis == "ADEQUATE_COUNTRY":
        return r.country in PACK.adequate_countries
    if basis == "LAW_TREATY":
        return bool(f.legal_provision)
    return False


@settings(max_examples=2000, deadline=None)
@given(all_facts)
def test_never_allowed_without_a_fitting_basis(f: TransferFacts) -> None:
    decision = decide(PACK, f)
    if decision.allowed:
        assert decision.basis is not None and _basis_fits(f, decision.basis)
        assert not f.subject_deleted and not f.recipient_gaps and not f.country_suspended
        assert f.recipient.status is RecipientStatus.ACTIVE
        assert f.purpose in f.recipient.purposes
    else:
        assert decision.refusal is not None and decision.message


@settings(max_examples=2000, deadline=None)
@given(all_facts)
def test_allowed_whenever_everything_is_in_order_and_a_basis_fits(f: TransferFacts) -> None:
    clean = (
        not f.subject_deleted
        and not f.recipient_gaps
        and not f.country_suspended
        and f.recipient.status is RecipientStatus.ACTIVE
        and f.purpose in f.recipient.purposes
    )
    if clean and any(_basis_fits(f, code) for code in PACK.bases):
        assert decide(PACK, f).allowed
