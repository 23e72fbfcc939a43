"""The transfer decision: may recipient R receive subject S's data for purpose P, and why.

Pure code over plain facts, so it can be tested exhaustively and runs on the hot path with
no I/O. The checks run in a fixed order, and the first that fails names the refusal; a
refusal always says what would make the transfer lawful.

Every basis is checked against facts the pack and the registry hold, never against the
caller's word: a statute is a provision the pack lists, a certification is a scheme the pack
lists, a disclosure or a consent is a stored notice whose content is still what the pack
renders today. Kinds the pack reserves for consent (a seller) are reachable by consent only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from gatehouse.domain.policy import Basis, RulePack
from gatehouse.domain.recipients import Certification, Recipient, RecipientStatus

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
    FLOW_NOT_PERMITTED = "flow_not_permitted"
    NO_LAWFUL_BASIS = "no_lawful_basis"


@dataclass(frozen=True)
class ConsentFact:
    """A consent currently granted by the subject, and what its notice showed."""

    consent_id: str
    notice_hash: str
    purpose: str
    # recipient id -> fingerprint of what the notice said about that recipient
    recipients: Mapping[str, str]
    flow: str = "provision"
    language: str = ""
    # Digest of the notice's wording when shown; None for notices older than digests.
    content_digest: str | None = None


@dataclass(frozen=True)
class DisclosureFact:
    """A published disclosure (privacy policy section or written notice) naming recipients."""

    notice_hash: str
    purpose: str
    recipients: Mapping[str, str]
    flow: str = "entrustment"
    language: str = ""
    content_digest: str | None = None


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
    # The key of a provision in the pack's law_provisions; anything else fits nothing.
    legal_provision: str | None = None
    # What the pack renders today, in its required language, for this purpose and flow:
    # notice kind ("consent", "disclosure") -> content digest. A notice with another digest
    # showed something else, so what it carried has lapsed.
    notice_digests: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """Allowed with a basis (and the notice or provision that backs it), or refused."""

    allowed: bool
    basis: str | None = None
    notice_hash: str | None = None
    legal_provision: str | None = None
    refusal: Refusal | None = None
    message: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Fit:
    """One basis tried: the backing notice or provision when it fits, or why it does not."""

    fits: bool
    backing: str | None = None
    why_not: str = ""
    stale: tuple[str, ...] = ()


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


def _notice_fit(
    pack: RulePack,
    facts: TransferFacts,
    notices: Sequence[ConsentFact] | Sequence[DisclosureFact],
    kind: str,
) -> _Fit:
    """A consent or disclosure fits when it showed this recipient, purpose and flow, as is."""
    r = facts.recipient
    current = facts.notice_digests.get(kind)
    stale: list[str] = []
    for notice in notices:
        if notice.purpose != facts.purpose or notice.flow != facts.flow:
            continue
        if r.id not in notice.recipients or notice.language != pack.required_language:
            continue
        if notice.recipients[r.id] != facts.recipient_fingerprint:
            # Art. 28-8(3)/R5: the recipient changed after the notice was shown.
            stale.append(notice.notice_hash)
            continue
        if notice.content_digest is None or notice.content_digest != current:
            # The pack's wording or version changed since: the notice showed something else.
            stale.append(notice.notice_hash)
            continue
        return _Fit(True, notice.notice_hash)
    noun = "live consent" if kind == "consent" else "published disclosure"
    why = f"no {noun} names {r.id} for {facts.purpose!r} by {facts.flow}"
    if stale:
        why += " as it stands now (the recipient or the notice changed since)"
    return _Fit(False, why_not=why, stale=tuple(stale))


def _certificate_fits(pack: RulePack, facts: TransferFacts, cert: Certification) -> str:
    """Empty when the record fits; otherwise why not."""
    scheme = pack.certification_schemes.get(cert.scheme)
    kind = facts.recipient.kind.value
    if scheme is None:
        return f"{cert.scheme!r} is not a scheme {pack.id} lists as designated"
    if kind not in scheme.recipient_kinds or facts.flow not in scheme.flows:
        return f"{cert.scheme} does not cover {facts.flow} to a {kind}"
    if cert.issuer not in scheme.issuers:
        return f"{cert.scheme} {cert.id} names no issuer the scheme lists"
    if cert.issued_on is None or not cert.valid_on(facts.today):
        return f"{cert.scheme} {cert.id} is not in force on {facts.today.isoformat()}"
    if (cert.expires_on - cert.issued_on).days > 366 * scheme.max_years:
        return f"{cert.scheme} {cert.id} runs longer than the scheme's {scheme.max_years} years"
    if facts.flow not in cert.covers:
        return f"{cert.scheme} {cert.id} does not cover {facts.flow} in its certified scope"
    if not cert.has_measures:
        return f"{cert.scheme} {cert.id} lacks the Art. 28-8(1) 4 가·나 measures on record"
    return ""


def _certification_fit(pack: RulePack, facts: TransferFacts) -> _Fit:
    reasons = [_certificate_fits(pack, facts, cert) for cert in facts.recipient.certifications]
    if "" in reasons:
        return _Fit(True)
    return _Fit(False, why_not="; ".join(reasons) or "no certification on record")


def _law_fit(pack: RulePack, facts: TransferFacts) -> _Fit:
    key = facts.legal_provision
    if not key:
        return _Fit(False, why_not="no listed provision was cited")
    provision = pack.law_provisions.get(key)
    if provision is None:
        return _Fit(False, why_not=f"the cited provision is not one {pack.id} lists")
    kind = facts.recipient.kind.value
    if (
        kind not in provision.recipient_kinds
        or facts.flow not in provision.flows
        or facts.purpose not in provision.purposes
    ):
        return _Fit(
            False, why_not=f"{key} does not cover {facts.flow} to a {kind} for {facts.purpose!r}"
        )
    beyond = set(pack.released_fields(facts.purpose)) - set(provision.fields)
    if beyond:
        return _Fit(False, why_not=f"{key} does not allow {', '.join(sorted(beyond))}")
    return _Fit(True, key)


def _fit(pack: RulePack, basis: Basis, facts: TransferFacts) -> _Fit:
    """Whether one basis fits, and what backs it."""
    r = facts.recipient
    if basis.requires == "consent":
        return _notice_fit(pack, facts, facts.consents, "consent")
    if basis.requires == "disclosure":
        return _notice_fit(pack, facts, facts.disclosures, "disclosure")
    if basis.requires == "certification":
        return _certification_fit(pack, facts)
    if basis.requires == "adequacy":
        if r.country is not None and r.country in pack.adequate_countries:
            return _Fit(True)
        return _Fit(False, why_not=f"{pack.id} recognises no adequacy for {r.country}")
    return _law_fit(pack, facts)


def _kind_label(pack: RulePack, kind: str) -> str:
    return pack.recipient_kind_labels[kind].text("en", pack.required_language).lower()


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
    kind = r.kind.value
    permitted = pack.kind_flows.get(kind, [])
    if facts.flow not in permitted:
        independent = kind in pack.consent_only_kinds
        return _refuse(
            Refusal.FLOW_NOT_PERMITTED,
            f"a {_kind_label(pack, kind)} receives data only by {' or '.join(permitted)}"
            + (
                ", as an independent controller, with the customer's separate consent; "
                f"transfer by provision after the customer consents to {r.id}"
                if independent
                else f"; transfer by {' or '.join(permitted)} instead"
            ),
            flow=facts.flow,
            kind=kind,
            permitted_flows=list(permitted),
        )
    if facts.purpose not in r.purposes:
        return _refuse(
            Refusal.NO_LAWFUL_BASIS,
            f"recipient {r.id} is not registered for purpose {facts.purpose!r}; register the "
            "purpose with the recipient, then obtain a basis for it",
            purpose=facts.purpose,
        )
    stale: list[str] = []
    why_not: dict[str, str] = {}
    for code, basis in pack.bases.items():
        if facts.flow not in basis.flows or kind not in basis.kinds:
            continue
        fit = _fit(pack, basis, facts)
        if fit.fits:
            provision = fit.backing if basis.requires == "law" else None
            notice = fit.backing if basis.requires in ("consent", "disclosure") else None
            return Decision(allowed=True, basis=code, notice_hash=notice, legal_provision=provision)
        stale += fit.stale
        why_not[code] = fit.why_not
    return _refuse(
        Refusal.NO_LAWFUL_BASIS,
        _no_basis_message(pack, facts, stale, list(why_not)),
        flow=facts.flow,
        purpose=facts.purpose,
        bases_tried=list(why_not),
        why_not=why_not,
        stale_notices=stale,
    )


def _no_basis_message(
    pack: RulePack, facts: TransferFacts, stale: list[str], tried: list[str]
) -> str:
    r = facts.recipient
    kind = r.kind.value
    if stale:
        first = (
            "what the customer was shown has changed since (the recipient's details or the "
            "notice's wording): render the notice again and ask for consent again"
        )
    else:
        first = (
            f"obtain the customer's separate consent to {facts.flow} to {r.id} for "
            f"{facts.purpose!r} (render the notice in {pack.required_language}, then record "
            "the consent)"
        )
    options = [first]
    if kind in pack.consent_only_kinds:
        options.append(
            f"a {_kind_label(pack, kind)} is an independent controller: no statute, "
            "certification or disclosure replaces the customer's consent"
        )
    else:
        codes = {pack.bases[code].requires: code for code in tried}
        if "disclosure" in codes:
            options.append("or publish an overseas-transfer disclosure naming this recipient")
        if "certification" in codes:
            options.append(
                "or register a certification of a designated scheme that covers this flow, "
                "with its issuer, dates and the 가·나 measures"
            )
        if "law" in codes and pack.law_provisions:
            options.append(
                "or cite, by its key, a provision the rule pack lists that covers this "
                f"transfer ({', '.join(sorted(pack.law_provisions))})"
            )
    return f"no lawful basis for {facts.flow} to {r.id}: " + "; ".join(options)
