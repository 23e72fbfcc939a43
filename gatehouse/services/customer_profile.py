"""The customer's own profile (/v1/me), and the live-subject check the customer views share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from gatehouse.domain.contact import RoadAddress
from gatehouse.domain.masking import mask_customs_code
from gatehouse.domain.subjects import Subject
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.subjects import open_pii, require_live_subject
from gatehouse.store.subjects import SubjectRepository

__all__ = ["Profile", "live_subject", "profile"]


@dataclass(frozen=True)
class Profile:
    """The customer's own data as their screen shows it: unmasked but for the customs code."""

    subject_id: str
    locale: str
    residence_country: str
    name: str
    email: str
    phone: str
    address: RoadAddress
    customs_code: str | None
    created_at: datetime


def live_subject(connection: Connection, subject_id: str) -> Subject:
    """The subject, or NotFound when there is none and KeyShredded when it was erased."""
    return require_live_subject(SubjectRepository(connection), subject_id)


def profile(gh: Gatehouse, subject_id: str) -> Profile:
    """The customer's own data, unmasked, except the customs code.

    The customs clearance code is a unique identifier that a glance over the shoulder could
    misuse, so the screen shows ``P*********012``; the export carries it whole.
    """
    with gh.unit_of_work(read_only=True) as uow:
        subject = require_live_subject(uow.subjects, subject_id)
        pii = open_pii(gh, uow.subjects, subject_id)
    return Profile(
        subject_id=subject.id,
        locale=subject.locale,
        residence_country=subject.residence_country,
        name=pii.name,
        email=pii.email,
        phone=pii.phone,
        address=pii.address,
        customs_code=mask_customs_code(pii.customs_code) if pii.customs_code else None,
        created_at=subject.created_at,
    )
