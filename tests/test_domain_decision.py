"""The transfer decision, with no database: fixed cases and Hypothesis properties."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from gatehouse.domain.decision import ConsentFact, DisclosureFact, Refusal, TransferFacts, decide
from gatehouse.domain.notices import notice_digest
from gatehouse.domain.policy import Label, LawProvision, RulePack
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


def _digest(kind: str, flow: str, purpose: str = "fulfilment", pack: RulePack = PACK) -> str:
    value = notice_digest(pack, kind=kind, language="ko", purpose=purpose, flow=flow)
    assert value is not None
    return value


SELLER = Recipient(
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
CARRIER = replace(SELLER, kind=RecipientKind.LOGISTICS, legal_name="Pacific Freight Pte. Ltd.")
FINGERPRINT = "f" * 64
CONSENT = ConsentFact(
    "con_1",
    "a" * 64,
    "fulfilment",
    {"rcp_1": FINGERPRINT},
    flow="provision",
    language="ko",
    content_digest=_digest("consent", "provision"),
)
DISCLOSURE = DisclosureFact(
    "d" * 64,
    "fulfilment",
    {"rcp_1": FINGERPRINT},
    flow="entrustment",
    language="ko",
    content_digest=_digest("disclosure", "entrustment"),
)
ISMS_P = Certification(
    scheme="ISMS-P",
    id="ISMS-P-2026-001",
    expires_on=date(2028, 6, 30),
    issuer="KISA",
    issued_on=date(2025, 7, 1),
    covers=("entrustment", "storage"),
    safety_and_rights_measures="Access control, encryption, rights requests answered in 10 days.",
    implementation_measures="Singapore operations audited yearly against the certified scope.",
)
# A provision a test declares for itself; it stands for no real statute.
PROVISION = LawProvision(
    citation=Label({"ko": "「시험법」 제1조", "en": "Test Act Art. 1"}),
    text=Label({"ko": "시험용 규정", "en": "A provision declared by this test"}),
    recipient_kinds=["logistics"],
    flows=["provision"],
    purposes=["fulfilment"],
    fields=["name", "phone", "address", "delivery_note", "customs_code"],
    reviewed="test",
)
LAW_PACK = PACK.model_copy(update={"law_provisions": {"test_customs": PROVISION}})


def _digests(flow: str, purpose: str = "fulfilment") -> dict[str, str]:
    kinds = {"consent": flow in PACK.bases["SEPARATE_CONSENT"].flows}
    kinds["disclosure"] = flow in PACK.bases["CONTRACT_ENTRUST_STORE"].flows
    return {kind: _digest(kind, flow, purpose) for kind, ok in kinds.items() if ok}


def facts(**changes: object) -> TransferFacts:
    base = TransferFacts(
        subject_deleted=False,
        recipient=SELLER,
        recipient_gaps=(),
        recipient_fingerprint=FINGERPRINT,
        country_suspended=False,
        purpose="fulfilment",
        flow="provision",
        today=TODAY,
    )
    changed = replace(base, **changes)  # type: ignore[arg-type]
    return replace(changed, notice_digests=_digests(changed.flow, changed.purpose))


def test_consent_allows_provision() -> None:
    decision = decide(PACK, facts(consents=[CONSENT]))
    assert decision.allowed and decision.basis == "SEPARATE_CONSENT"
    assert decision.notice_hash == CONSENT.notice_hash


def test_checks_run_in_order() -> None:
    everything_wrong = facts(
        subject_deleted=True,
        recipient_gaps=["accepted_terms"],
        recipient=replace(SELLER, status=RecipientStatus.SUSPENDED),
        country_suspended=True,
        flow="entrustment",
    )
    assert decide(PACK, everything_wrong).refusal is Refusal.SUBJECT_DELETED
    no_subject_problem = replace(everything_wrong, subject_deleted=False)
    assert decide(PACK, no_subject_problem).refusal is Refusal.RECIPIENT_NOT_ELIGIBLE
    eligible = replace(no_subject_problem, recipient_gaps=())
    assert decide(PACK, eligible).refusal is Refusal.RECIPIENT_SUSPENDED
    active = replace(eligible, recipient=SELLER)
    assert decide(PACK, active).refusal is Refusal.COUNTRY_SUSPENDED
    reachable = replace(active, country_suspended=False)
    assert decide(PACK, reachable).refusal is Refusal.FLOW_NOT_PERMITTED
    assert decide(PACK, replace(reachable, flow="provision")).refusal is Refusal.NO_LAWFUL_BASIS


def test_changed_recipient_invalidates_consent() -> None:
    decision = decide(PACK, facts(consents=[CONSENT], recipient_fingerprint="e" * 64))
    assert decision.refusal is Refusal.NO_LAWFUL_BASIS
    assert decision.details["stale_notices"] == [CONSENT.notice_hash]
    assert "ask for consent again" in decision.message


def test_consent_for_another_purpose_recipient_or_flow_does_not_fit() -> None:
    other_purpose = replace(CONSENT, purpose="customer_service")
    other_recipient = replace(CONSENT, recipients={"rcp_2": FINGERPRINT})
    for consent in (other_purpose, other_recipient):
        assert decide(PACK, facts(consents=[consent])).refusal is Refusal.NO_LAWFUL_BASIS
    # A carrier's consent to provision does not carry entrustment, nor the reverse.
    provision = decide(PACK, facts(recipient=CARRIER, flow="entrustment", consents=[CONSENT]))
    assert provision.refusal is Refusal.NO_LAWFUL_BASIS
    entrusted = replace(
        CONSENT, flow="entrustment", content_digest=_digest("consent", "entrustment")
    )
    assert decide(PACK, facts(recipient=CARRIER, flow="entrustment", consents=[entrusted])).allowed
    assert not decide(PACK, facts(recipient=CARRIER, consents=[entrusted])).allowed


def test_consent_to_a_notice_outside_the_required_language_does_not_fit() -> None:
    english = replace(
        CONSENT,
        language="en",
        content_digest=notice_digest(
            PACK, kind="consent", language="en", purpose="fulfilment", flow="provision"
        ),
    )
    assert decide(PACK, facts(consents=[english])).refusal is Refusal.NO_LAWFUL_BASIS


def test_consent_lapses_when_the_notice_wording_or_pack_changes() -> None:
    old_digest = replace(CONSENT, content_digest="0" * 64)
    decision = decide(PACK, facts(consents=[old_digest]))
    assert decision.refusal is Refusal.NO_LAWFUL_BASIS
    assert decision.details["stale_notices"] == [CONSENT.notice_hash]
    no_digest = replace(CONSENT, content_digest=None)
    assert decide(PACK, facts(consents=[no_digest])).refusal is Refusal.NO_LAWFUL_BASIS


def test_notice_digest_follows_the_pack_version_and_texts() -> None:
    base = _digest("consent", "provision")
    bumped = PACK.model_copy(update={"version": "9.9.9"})
    assert _digest("consent", "provision", pack=bumped) != base
    texts = PACK.notice_texts.model_copy(
        update={"order_items": Label({"ko": "주문번호", "en": "Order number"})}
    )
    reworded = PACK.model_copy(update={"notice_texts": texts})
    assert _digest("consent", "provision", pack=reworded) != base
    # Same pack, same inputs: the same digest, whatever is memoised.
    assert _digest("consent", "provision") == base


def test_a_seller_never_takes_entrustment_or_storage_even_with_a_disclosure() -> None:
    for flow in ("entrustment", "storage", "inquiry"):
        decision = decide(PACK, facts(flow=flow, disclosures=[DISCLOSURE], consents=[CONSENT]))
        assert decision.refusal is Refusal.FLOW_NOT_PERMITTED
        assert "provision" in decision.message and "consent" in decision.message


def test_disclosure_fits_a_carriers_entrustment_but_never_provision() -> None:
    entrust = decide(PACK, facts(recipient=CARRIER, flow="entrustment", disclosures=[DISCLOSURE]))
    assert entrust.allowed and entrust.basis == "CONTRACT_ENTRUST_STORE"
    provide = decide(PACK, facts(recipient=CARRIER, flow="provision", disclosures=[DISCLOSURE]))
    assert provide.refusal is Refusal.NO_LAWFUL_BASIS


def test_certification_must_be_of_a_listed_scheme_complete_and_in_scope() -> None:
    def certified(cert: Certification, flow: str = "entrustment") -> bool:
        recipient = replace(CARRIER, certifications=(cert,))
        return decide(PACK, facts(recipient=recipient, flow=flow)).allowed

    assert certified(ISMS_P)
    assert not certified(replace(ISMS_P, scheme="ISO 27701"))
    assert not certified(replace(ISMS_P, issuer="Any Certifier Ltd."))
    assert not certified(replace(ISMS_P, expires_on=date(2026, 11, 27)))
    assert not certified(replace(ISMS_P, issued_on=date(2026, 11, 29)))
    assert not certified(replace(ISMS_P, issued_on=None))
    assert not certified(replace(ISMS_P, issued_on=date(2020, 1, 1), expires_on=date(2027, 1, 1)))
    assert not certified(replace(ISMS_P, covers=("storage",)))
    assert not certified(replace(ISMS_P, implementation_measures=None))
    assert not certified(replace(ISMS_P, safety_and_rights_measures=""))
    # The scheme itself does not reach provision.
    assert not certified(replace(ISMS_P, covers=("provision",)), flow="provision")


def test_a_certified_seller_still_needs_consent() -> None:
    seller = replace(SELLER, certifications=(replace(ISMS_P, covers=("provision",)),))
    decision = decide(PACK, facts(recipient=seller))
    assert decision.refusal is Refusal.NO_LAWFUL_BASIS
    assert "independent controller" in decision.message


def test_law_basis_needs_a_listed_provision_that_covers_the_transfer() -> None:
    free_text = decide(LAW_PACK, facts(recipient=CARRIER, legal_provision="Customs Act Art. 241"))
    assert free_text.refusal is Refusal.NO_LAWFUL_BASIS
    assert "test_customs" in free_text.message  # says which provision to cite instead
    listed = decide(LAW_PACK, facts(recipient=CARRIER, legal_provision="test_customs"))
    assert listed.allowed and listed.basis == "LAW_TREATY"
    assert listed.legal_provision == "test_customs" and listed.notice_hash is None
    wrong_purpose = replace(CARRIER, purposes=("fulfilment", "customer_service"))
    decision = decide(
        LAW_PACK,
        facts(recipient=wrong_purpose, purpose="customer_service", legal_provision="test_customs"),
    )
    assert decision.refusal is Refusal.NO_LAWFUL_BASIS
    narrow_provision = PROVISION.model_copy(update={"fields": ["name"]})
    narrow = LAW_PACK.model_copy(update={"law_provisions": {"test_customs": narrow_provision}})
    too_many_fields = decide(narrow, facts(recipient=CARRIER, legal_provision="test_customs"))
    assert too_many_fields.refusal is Refusal.NO_LAWFUL_BASIS
    assert "does not allow" in too_many_fields.details["why_not"]["LAW_TREATY"]


def test_no_provision_reaches_a_seller() -> None:
    decision = decide(LAW_PACK, facts(legal_provision="test_customs"))
    assert decision.refusal is Refusal.NO_LAWFUL_BASIS
    assert "LAW_TREATY" not in decision.details["bases_tried"]


def test_adequacy_needs_the_country_on_the_packs_list() -> None:
    assert decide(PACK, facts()).refusal is Refusal.NO_LAWFUL_BASIS
    adequate_pack = PACK.model_copy(update={"adequate_countries": ["CN"]})
    decision = decide(adequate_pack, facts())
    assert decision.allowed and decision.basis == "ADEQUATE_COUNTRY"


def test_unregistered_purpose_is_refused() -> None:
    decision = decide(PACK, facts(purpose="customer_service", consents=[CONSENT]))
    assert decision.refusal is Refusal.NO_LAWFUL_BASIS
    assert "not registered for purpose" in decision.message


def test_the_kr_pack_lists_no_adequate_country_and_no_provision() -> None:
    # The properties below rely on this: with no adequacy, only consent opens a seller.
    assert PACK.adequate_countries == [] and PACK.law_provisions == {}
    assert PACK.consent_only_kinds == ["seller"]


# --- properties ---------------------------------------------------------------------------

fingerprints = st.sampled_from(["f" * 64, "e" * 64])
recipient_ids = st.sampled_from(["rcp_1", "rcp_2"])
purposes = st.sampled_from(["fulfilment", "customer_service"])
flows = st.sampled_from(["provision", "entrustment", "storage", "inquiry"])
languages = st.sampled_from(["ko", "en"])
digests = st.one_of(
    st.none(),
    st.just("0" * 64),
    st.builds(lambda f: _digest("consent", f), flows),
    st.builds(lambda f: _digest("disclosure", f), st.sampled_from(["entrustment", "storage"])),
)
consents = st.builds(
    ConsentFact,
    consent_id=st.just("c"),
    notice_hash=st.sampled_from(["a" * 64, "b" * 64]),
    purpose=purposes,
    recipients=st.dictionaries(recipient_ids, fingerprints, max_size=2),
    flow=flows,
    language=languages,
    content_digest=digests,
)
disclosures = st.builds(
    DisclosureFact,
    notice_hash=st.just("d" * 64),
    purpose=purposes,
    recipients=st.dictionaries(recipient_ids, fingerprints, max_size=2),
    flow=flows,
    language=languages,
    content_digest=digests,
)
certifications = st.lists(
    st.builds(
        Certification,
        scheme=st.sampled_from(["ISMS-P", "ISO 27701", "APEC CBPR", "isms-p", ""]),
        id=st.text(max_size=5),
        expires_on=st.dates(date(2026, 11, 20), date(2029, 12, 5)),
        issuer=st.sampled_from([None, "KISA", "FSI", "Anyone"]),
        issued_on=st.one_of(st.none(), st.dates(date(2024, 1, 1), date(2026, 12, 5))),
        covers=st.lists(flows, max_size=4, unique=True).map(tuple),
        safety_and_rights_measures=st.sampled_from([None, "", "measures"]),
        implementation_measures=st.sampled_from([None, "", "measures"]),
    ),
    max_size=2,
)
recipients = st.builds(
    lambda kind, status, certs, purposes_, country: replace(
        SELLER,
        kind=kind,
        status=status,
        certifications=tuple(certs),
        purposes=tuple(purposes_),
        country=country,
    ),
    st.sampled_from(list(RecipientKind)),
    st.sampled_from(list(RecipientStatus)),
    certifications,
    st.lists(purposes, max_size=2, unique=True),
    st.sampled_from(["CN", "JP", "US"]),
)
provision_texts = st.one_of(
    st.none(),
    st.sampled_from(["", "test_customs", "Customs Act Art. 241", "LAW_TREATY", "관세법 제241조"]),
    st.text(max_size=30),
)
all_facts = st.builds(
    TransferFacts,
    subject_deleted=st.booleans(),
    recipient=recipients,
    recipient_gaps=st.lists(st.sampled_from(["contact", "accepted_terms"]), max_size=2),
    recipient_fingerprint=fingerprints,
    country_suspended=st.booleans(),
    purpose=purposes,
    flow=flows,
    today=st.just(TODAY),
    consents=st.lists(consents, max_size=3),
    disclosures=st.lists(disclosures, max_size=2),
    legal_provision=provision_texts,
).map(lambda f: replace(f, notice_digests=_digests(f.flow, f.purpose)))


def _live_consent(f: TransferFacts) -> bool:
    """Written from the law, not from the code: the buyer's own, current, separate consent."""
    return any(
        c.purpose == f.purpose
        and c.flow == f.flow
        and c.language == "ko"
        and c.recipients.get(f.recipient.id) == f.recipient_fingerprint
        and c.content_digest is not None
        and c.content_digest == f.notice_digests.get("consent")
        for c in f.consents
    )


@settings(max_examples=2000, deadline=None)
@given(all_facts, st.sampled_from([PACK, LAW_PACK]))
def test_no_side_door_gives_a_seller_a_view_without_live_consent(
    f: TransferFacts, pack: RulePack
) -> None:
    decision = decide(pack, f)
    if f.recipient.kind is RecipientKind.SELLER and decision.allowed:
        assert decision.basis == "SEPARATE_CONSENT"
        assert f.flow == "provision" and _live_consent(f)


@settings(max_examples=1000, deadline=None)
@given(all_facts)
def test_nothing_is_allowed_past_a_failed_check(f: TransferFacts) -> None:
    decision = decide(LAW_PACK, f)
    if decision.allowed:
        assert decision.basis is not None
        assert not f.subject_deleted and not f.recipient_gaps and not f.country_suspended
        assert f.recipient.status is RecipientStatus.ACTIVE
        assert f.purpose in f.recipient.purposes
        assert f.flow in PACK.kind_flows[f.recipient.kind.value]
        if decision.basis == "LAW_TREATY":
            assert f.legal_provision == "test_customs"
        if decision.basis == "RECIPIENT_CERTIFIED":
            certs = f.recipient.certifications
            assert any(c.scheme == "ISMS-P" and f.flow in c.covers for c in certs)
    else:
        assert decision.refusal is not None and decision.message


@settings(max_examples=1000, deadline=None)
@given(all_facts)
def test_live_consent_opens_every_clean_provision(f: TransferFacts) -> None:
    clean = (
        not f.subject_deleted
        and not f.recipient_gaps
        and not f.country_suspended
        and f.recipient.status is RecipientStatus.ACTIVE
        and f.purpose in f.recipient.purposes
        and f.flow in PACK.kind_flows[f.recipient.kind.value]
    )
    if clean and _live_consent(f):
        assert decide(PACK, f).allowed
