"""Operator endpoints: the recipient and subject registries, terms and suspensions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from gatehouse.api.presenters import erasure_out, recipient_out, subject_out, terms_out
from gatehouse.api.schemas import (
    CountryStatusOut,
    DeletionReceipt,
    ErasurePage,
    KeyOut,
    OnwardTransferIn,
    PrivacyOfficerIn,
    RecipientCreated,
    RecipientIn,
    RecipientOut,
    RecipientPage,
    RecipientPatch,
    RevokedOut,
    SubjectCreated,
    SubjectIn,
    SubjectMatches,
    SubjectOut,
    SuspendIn,
    TermsIn,
    TermsOut,
)
from gatehouse.domain.contact import normalise_country, normalise_email, normalise_kr_mobile
from gatehouse.domain.errors import InvalidInput
from gatehouse.domain.recipients import OnwardTransfer, PrivacyOfficer
from gatehouse.domain.subjects import validate_subject_pii
from gatehouse.http.deps import GatehouseDep, OperatorDep
from gatehouse.http.openapi import refusals
from gatehouse.services import abuse as abuse_service
from gatehouse.services import deletion as deletion_service
from gatehouse.services import erasures as erasure_service
from gatehouse.services import recipients as recipient_service
from gatehouse.services import subjects as subject_service
from gatehouse.services import terms as terms_service
from gatehouse.services.access import replace_recipient_keys, revoke_recipient_keys

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["operator"])

IdPath = Annotated[str, Path(max_length=64)]
CountryPath = Annotated[str, Path(max_length=8)]


@router.post("/recipients", status_code=201, response_model=RecipientCreated)
def create_recipient(body: RecipientIn, gh: GatehouseDep, _: OperatorDep) -> RecipientCreated:
    """Register a recipient. Its API key and webhook secret are in this response only."""
    officer = body.privacy_officer
    registered = recipient_service.register_recipient(
        gh,
        recipient_service.RecipientInput(
            kind=body.kind,
            legal_name=body.legal_name,
            country=body.country,
            contact_phone=body.contact_phone,
            contact_email=body.contact_email,
            privacy_officer=PrivacyOfficer(officer.name, officer.email, officer.phone),
            purposes=body.purposes,
            retention_days=body.retention_days,
            certifications=[c.to_domain() for c in body.certifications],
            webhook_url=body.webhook_url,
            onward_transfers=_onward_transfers(body.onward_transfers),
        ),
    )
    out = recipient_out(registered.standing)
    return RecipientCreated(
        **out.model_dump(), api_key=registered.api_key, webhook_secret=registered.webhook_secret
    )


def _onward_transfers(declared: list[OnwardTransferIn]) -> list[OnwardTransfer]:
    return [OnwardTransfer(o.legal_name, o.country, o.purpose, tuple(o.items)) for o in declared]


@router.get("/recipients", response_model=RecipientPage)
def list_recipients(
    gh: GatehouseDep,
    _: OperatorDep,
    country: Annotated[str | None, Query(max_length=8)] = None,
    status: Literal["active", "suspended"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> RecipientPage:
    """Recipients, filtered by country and status, a page at a time."""
    page, next_cursor = recipient_service.list_recipients(
        gh,
        country=normalise_country(country) if country else None,
        status=status,
        after=cursor,
        limit=limit,
    )
    return RecipientPage(items=[recipient_out(s) for s in page], next_cursor=next_cursor)


@router.get("/recipients/{recipient_id}", response_model=RecipientOut)
def get_recipient(recipient_id: IdPath, gh: GatehouseDep, _: OperatorDep) -> RecipientOut:
    """One recipient, with ``eligible`` and the ``missing`` items."""
    return recipient_out(recipient_service.get_recipient(gh, recipient_id))


@router.patch("/recipients/{recipient_id}", response_model=RecipientOut)
def update_recipient(
    recipient_id: IdPath, body: RecipientPatch, gh: GatehouseDep, _: OperatorDep
) -> RecipientOut:
    """Change registered details; consents given to notices about the old details lapse."""
    changes: dict[str, Any] = {}
    for name in body.model_fields_set:
        value = getattr(body, name)
        if name == "privacy_officer":
            officer = value or PrivacyOfficerIn()
            value = PrivacyOfficer(officer.name, officer.email, officer.phone)
        elif name == "certifications":
            value = [c.to_domain() for c in value or []]
        elif name == "purposes":
            value = value or []
        elif name == "onward_transfers":
            value = _onward_transfers(value or [])
        changes[name] = value
    return recipient_out(recipient_service.update_recipient(gh, recipient_id, changes))


@router.post("/recipients/{recipient_id}/suspend", response_model=RecipientOut)
def suspend_recipient(
    recipient_id: IdPath, gh: GatehouseDep, _: OperatorDep, body: SuspendIn | None = None
) -> RecipientOut:
    """Stop all transfers to this recipient (Art. 28-9)."""
    reason = body.reason if body else None
    return recipient_out(recipient_service.suspend_recipient(gh, recipient_id, reason))


@router.post("/recipients/{recipient_id}/resume", response_model=RecipientOut)
def resume_recipient(
    recipient_id: IdPath, gh: GatehouseDep, _: OperatorDep, body: SuspendIn | None = None
) -> RecipientOut:
    """Allow transfers to this recipient again."""
    reason = body.reason if body else None
    return recipient_out(recipient_service.resume_recipient(gh, recipient_id, reason))


@router.post("/countries/{country}/suspend", response_model=CountryStatusOut)
def suspend_country(
    country: CountryPath, gh: GatehouseDep, _: OperatorDep, body: SuspendIn | None = None
) -> CountryStatusOut:
    """Stop all transfers to recipients in a country."""
    result = recipient_service.suspend_country(
        gh, normalise_country(country), body.reason if body else None
    )
    return CountryStatusOut.model_validate(result, from_attributes=True)


@router.post("/countries/{country}/resume", response_model=CountryStatusOut)
def resume_country(
    country: CountryPath, gh: GatehouseDep, _: OperatorDep, body: SuspendIn | None = None
) -> CountryStatusOut:
    """Allow transfers to a country again."""
    result = recipient_service.resume_country(
        gh, normalise_country(country), body.reason if body else None
    )
    return CountryStatusOut.model_validate(result, from_attributes=True)


@router.post("/terms", status_code=201, response_model=TermsOut, responses=refusals(409))
def publish_terms(body: TermsIn, gh: GatehouseDep, _: OperatorDep) -> TermsOut:
    """Publish a terms version; 422 names each required clause that is missing."""
    clauses = {k: v for k, v in body.clauses.model_dump().items() if v is not None}
    return terms_out(terms_service.publish_terms(gh, body.version, clauses))


@router.get("/terms/current", response_model=TermsOut, responses=refusals(404))
def get_current_terms(gh: GatehouseDep, _: OperatorDep) -> TermsOut:
    """The terms every recipient must have accepted."""
    return terms_out(terms_service.current_terms(gh))


@router.post("/subjects", status_code=201, response_model=SubjectCreated, responses=refusals(409))
def create_subject(body: SubjectIn, gh: GatehouseDep, _: OperatorDep) -> SubjectCreated:
    """Register a customer; the PII goes into the vault and nowhere else."""
    pii = validate_subject_pii(
        external_ref=body.external_ref,
        name=body.name,
        email=body.email,
        phone=body.phone,
        postal_code=body.address.postal_code,
        line1=body.address.line1,
        line2=body.address.line2,
        customs_code=body.customs_code,
    )
    subject = subject_service.create_subject(
        gh,
        subject_service.NewSubject(
            pii=pii, residence_country=body.residence_country, locale=body.locale
        ),
    )
    return SubjectCreated(id=subject.id)


@router.get("/subjects", response_model=SubjectMatches)
def find_subjects(
    gh: GatehouseDep,
    _: OperatorDep,
    email: Annotated[str | None, Query(max_length=254)] = None,
    phone: Annotated[str | None, Query(max_length=40)] = None,
    external_ref: Annotated[str | None, Query(max_length=200)] = None,
) -> SubjectMatches:
    """Find subjects by exact email, phone or external_ref, through blind indexes."""
    given = [
        (k, v) for k, v in (("email", email), ("phone", phone), ("external_ref", external_ref)) if v
    ]
    if len(given) != 1:
        raise InvalidInput(
            "give exactly one of email, phone or external_ref", code="one_lookup_key"
        )
    kind, raw = given[0]
    normalisers: dict[str, Callable[[str], str]] = {
        "email": normalise_email,
        "phone": normalise_kr_mobile,
        "external_ref": str.strip,
    }
    value = normalisers[kind](raw)
    ids = subject_service.find_subjects(gh, kind=kind, normalised_value=value)
    return SubjectMatches(items=[SubjectCreated(id=i) for i in ids])


@router.get("/subjects/{subject_id}", response_model=SubjectOut, responses=refusals(410))
def get_subject(
    subject_id: IdPath,
    gh: GatehouseDep,
    principal: OperatorDep,
    reason: Annotated[str | None, Query(max_length=500)] = None,
) -> SubjectOut:
    """A subject, masked; with ``reason`` it is unmasked and the read is recorded."""
    view = subject_service.read_subject(gh, subject_id, api_key_id=principal.key_id, reason=reason)
    return subject_out(view)


@router.delete(
    "/subjects/{subject_id}",
    status_code=202,
    response_model=DeletionReceipt,
    responses=refusals(410),
)
def delete_subject(subject_id: IdPath, gh: GatehouseDep, _: OperatorDep) -> DeletionReceipt:
    """Erase a customer: shred the key, close views, keep what the law needs, tell recipients."""
    receipt = deletion_service.erase_subject(gh, subject_id, requested_by="operator").to_dict()
    return DeletionReceipt(receipt=receipt, erasure_notices=list(receipt["erasure_notices"]))


@router.get("/deletions/{deletion_id}")
def deletion_progress(deletion_id: IdPath, gh: GatehouseDep, _: OperatorDep) -> dict[str, Any]:
    """A deletion's receipt and how many recipients have confirmed their erasure."""
    return erasure_service.deletion_progress(gh, deletion_id).to_dict()


@router.get("/erasures", response_model=ErasurePage)
def list_erasures(
    gh: GatehouseDep,
    _: OperatorDep,
    status: Literal["pending", "overdue", "acknowledged"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> ErasurePage:
    """Erasure requests across recipients; ``status=overdue`` lists the escalated ones."""
    rows, next_cursor = erasure_service.list_erasures(gh, status=status, after=cursor, limit=limit)
    now = gh.clock()
    return ErasurePage(items=[erasure_out(row, now) for row in rows], next_cursor=next_cursor)


@router.post("/recipients/{recipient_id}/keys/rotate", response_model=KeyOut)
def rotate_recipient_key(recipient_id: IdPath, gh: GatehouseDep, _: OperatorDep) -> KeyOut:
    """Revoke the recipient's keys and issue a new one (shown once)."""
    recipient_service.get_recipient(gh, recipient_id)
    return KeyOut(api_key=replace_recipient_keys(gh, recipient_id, gh.clock()))


@router.post("/recipients/{recipient_id}/keys/revoke", response_model=RevokedOut)
def revoke_recipient_key(recipient_id: IdPath, gh: GatehouseDep, _: OperatorDep) -> RevokedOut:
    """Revoke every key of the recipient at once (a leaked key, an offboarded seller)."""
    recipient_service.get_recipient(gh, recipient_id)
    return RevokedOut(revoked=revoke_recipient_keys(gh, recipient_id, gh.clock()))


@router.get("/abuse/flags")
def abuse_flags(
    gh: GatehouseDep,
    _: OperatorDep,
    recipient_id: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """Recipients flagged for read patterns that look like scraping."""
    found = abuse_service.flags(gh, recipient_id)
    items = [
        {"recipient_id": f.recipient_id, "kind": f.kind, "detail": dict(f.detail), "at": f.at}
        for f in found
    ]
    return {"items": items, "next_cursor": None}
