"""Domain objects to response bodies."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from gatehouse.api.schemas import (
    CertificationOut,
    ErasureOut,
    OnwardTransferOut,
    PrivacyOfficerOut,
    RecipientOut,
    SubjectOut,
    TermsOut,
)
from gatehouse.domain.terms import Terms
from gatehouse.services.erasures import ErasureRequest, erasure_status
from gatehouse.services.recipients import RecipientStanding
from gatehouse.services.subjects import SubjectView

__all__ = ["recipient_out", "terms_out", "subject_out", "erasure_out"]


def recipient_out(standing: RecipientStanding) -> RecipientOut:
    """The operator's view of a recipient."""
    r = standing.recipient
    return RecipientOut(
        id=r.id,
        kind=r.kind.value,
        legal_name=r.legal_name,
        country=r.country,
        contact_phone=r.contact_phone,
        contact_email=r.contact_email,
        privacy_officer=PrivacyOfficerOut(
            name=r.privacy_officer.name,
            email=r.privacy_officer.email,
            phone=r.privacy_officer.phone,
        ),
        purposes=list(r.purposes),
        retention_days=r.retention_days,
        certifications=[CertificationOut.of(c) for c in r.certifications],
        webhook_url=r.webhook_url,
        onward_transfers=[
            OnwardTransferOut(
                legal_name=o.legal_name, country=o.country, purpose=o.purpose, items=list(o.items)
            )
            for o in r.onward_transfers
        ],
        status=r.status.value,
        suspended_reason=r.suspended_reason,
        country_suspended=standing.country_suspended,
        accepted_terms_version=r.accepted_terms_version,
        eligible=standing.eligible,
        missing=standing.missing,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


def terms_out(terms: Terms) -> TermsOut:
    """A terms version."""
    return TermsOut(
        version=terms.version, clauses=dict(terms.clauses), published_at=terms.published_at
    )


def subject_out(view: SubjectView) -> SubjectOut:
    """A subject, masked unless the read was unmasked with a reason."""
    s = view.subject
    return SubjectOut(
        id=s.id,
        residence_country=s.residence_country,
        locale=s.locale,
        rule_pack=s.rule_pack,
        created_at=s.created_at,
        deleted=s.deleted,
        masked=view.masked,
        pii=view.pii,
    )


def erasure_out(row: ErasureRequest, now: datetime) -> ErasureOut:
    """An erasure request with its status as of ``now``."""
    return ErasureOut.model_validate({**asdict(row), "status": erasure_status(row, now)})
