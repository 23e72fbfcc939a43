"""The transfer decision: may recipient R receive subject S's data for purpose P, and why.

Pure code over plain facts, so it can be tested exhaustively and runs on the hot path with
no I/O. The checks run in a fixed order, and the first that fails names the refusal; a
refusal always says what would make the transfer lawful.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from gatehouse.domain.recipients import Recipient, RecipientStatus
from gatehouse.rules.pack import Basis, RulePack

__all__ = [
    "Refusal",
    "ConsentFact",
    "DisclosureFact",
    "TransferFacts",
    "Decision",
    "decide",
]


class Refusal(StrEnum):
    """Why a transfer was refused; each maps to a 403 with this code."""

    SUBJECT_DELETED = "subject_deleted"
    RECIPIENT_NOT_ELIGIBLE = "recipient_not_eligible"
    RECIPIENT_SUSPENDED = "recipient_suspended"
    COUNTRY_SUSPENDED = "country_suspended"
    NO_LAWFUL_BASIS = "no_lawful_basis"


@dataclass(frozen=True)
class ConsentFact:
    """A consent currently granted by the subject, with the recipients its notice named."""

    consent_id: str
    notice_hash: str
    purpose: str
    # recipient id -> fingerprint of what the notice said about that recipient
    recipients: Mapping[str, str]


@dataclass(frozen=True)
class DisclosureFact:
    """A published disclosure (privacy policy section or written notice) naming recipients."""

    notice_hash: str
    purpose: str
    recipients: Mapping[str, str]


@dataclass(frozen=True)
class TransferFacts:
    """Everything the decision looks at, gathered by the service beforehand."""

    subject_deleted: bool
    recipient: Recipient
    recipient_gaps: Sequence[str]
    recipient_fingerprint: str
    country_suspended: bool
    purpose: str
    flow: str
    today: date
    consents: Sequence[ConsentFact] = ()
    disclosures: Sequence[DisclosureFact] = ()
    legal_provision: str | None = None


@dataclass(frozen=True)
class Decision:
    """Allowed with a basis (and the notice that backs it), or refused with a reason."""

    allowed: bool
    basis: str | None = None
    notice_hash: str | None = None
    refusal: Refusal | None = None
    message: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)


def _refuse(refusal: Refusal, message: str, **details: Any) -> Decision:
    return Decision(allowed=False, refusal=refusal, message=message, details=details)


_GAP_FIXES = {
    "legal_name": "register the recipient's legal name",
    "country": "register the recipient's country",
    "contact": "register a contact phone or e-mail",
    "privacy_officer_contact": "name a privacy officer with an e-mail or phone",
    "terms_published": "publish data-protection terms (POST /v1/terms)",
    "accepted_terms": "have the recipient accept the current terms",
    "erasures_overdue": "have the recipient acknowledge its overdue erasure requests",
}


def _fits(
    basis: Basis, facts: TransferFacts, adequate: frozenset[str], stale: list[str]
) -> tuple[bool, str | None]:
    """Whether one basis fits, and the notice or disclosure hash that backs it."""
    r = facts.recipient
    if basis.requires == "consent":
        for consent in facts.consents:
            if consent.purpose != facts.purpose or r.id not in consent.recipients:
                continue
            if consent.recipients[r.id] != facts.recipient_fingerprint:
                # Art. 28-8(3)/R5: the recipient changed after the notice was shown.
                stale.append(consent.notice_hash)
                continue
            return True, consent.notice_hash
        return False, None
    if basis.requires == "disclosure":
        for disclosure in facts.disclosures:
            if disclosure.purpose != facts.purpose:
                continue
            if disclosure.recipients.get(r.id) == facts.recipient_fingerprint:
                return True, disclosure.notice_hash
        return False, None
    if basis.requires == "certification":
        return any(c.valid_on(facts.today) for c in r.certifications), None
    if basis.requires == "adequacy":
        return r.country is not None and r.country in adequate, None
    if basis.requires == "law":
        return bool(facts.legal_provision and facts.legal_provision.strip()), None
    return False, None


def decide(pack: RulePack, facts: TransferFacts) -> Decision:
    """Decide one transfer under ``pack``; the first failing check names the refusal."""
    r = facts.recipient
    if facts.subject_deleted:
        return _refuse(
            Refusal.SUBJECT_DELETED,
            "the customer deleted their account; no transfer of their data is possible",
        )
    if facts.recipient_gaps:
        fixes = [_GAP_FIXES.get(gap, gap) for gap in facts.recipient_gaps]
        return _refuse(
            Refusal.RECIPIENT_NOT_ELIGIBLE,
            f"recipient {r.id} is not eligible: " + "; ".join(fixes),
            missing=list(facts.recipient_gaps),
        )
    if r.status is RecipientStatus.SUSPENDED:
        return _refuse(
            Refusal.RECIPIENT_SUSPENDED,
            f"transfers to recipient {r.id} are suspended; resume the recipient first",
            reason=r.suspended_reason,
        )
    if facts.country_suspended:
        return _refuse(
            Refusal.COUNTRY_SUSPENDED,
            f"transfers to {r.country} are suspended; resume the country first",
            country=r.country,
        )
    if facts.purpose not in r.purposes:
        return _refuse(
            Refusal.NO_LAWFUL_BASIS,
            f"recipient {r.id} is not registered for purpose {facts.purpose!r}; register the "
            "purpose with the recipient, then obtain a basis for it",
            purpose=facts.purpose,
        )
    stale: list[str] = []
    tried: list[str] = []
    adequate = frozenset(pack.adequate_countries)
    for code, basis in pack.bases.items():
        if facts.flow not in basis.flows:
            continue
        tried.append(code)
        fits, backing = _fits(basis, facts, adequate, stale)
        if fits:
            return Decision(allowed=True, basis=code, notice_hash=backing)
    return _refuse(
        Refusal.NO_LAWFUL_BASIS,
        _no_basis_message(pack, facts, stale),
        flow=facts.flow,
        purpose=facts.purpose,
        bases_tried=tried,
        stale_notices=stale,
    )


def _no_basis_message(pack: RulePack, facts: TransferFacts, stale: list[str]) -> str:
    r = facts.recipient
    options = []
    if stale:
        options.append(
            "the recipient's details changed since the customer consented: render a new notice "
            "and ask for consent again"
        )
    else:
        options.append(
            f"obtain the customer's separate consent to transfer to {r.id} for "
            f"{facts.purpose!r} (render the notice, then record the consent)"
        )
    disclosure_flows = {
        flow
        for basis in pack.bases.values()
        if basis.requires == "disclosure"
        for flow in basis.flows
    }
    if facts.flow in disclosure_flows:
        options.append("or publish an overseas-transfer disclosure naming this recipient")
    options.append("or register an unexpired certification for the recipient")
    return f"no lawful basis for {facts.flow} to {r.id}: " + "; ".join(options)
