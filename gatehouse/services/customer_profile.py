"""The customer's own profile (/v1/me), and the live-subject check the customer views share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from gatehouse.domain.errors import NotFound
from gatehouse.domain.masking import mask_customs_code
from gatehouse.domain.subjects import Subject
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.subjects import decrypt_pii
from gatehouse.store.subjects import SubjectRepository
from gatehouse.vault import KeyShredded

__all__ = ["live_subject", "profile"]


def live_subject(connection: Connection, subject_id: str) -> Subject:
    """The subject, or NotFound when there is none and KeyShredded when it was erased."""
    subject = SubjectRepository(connection).get(subject_id)
    if subject is None:
        raise NotFound(f"no subject with id {subject_id!r}", code="subject_not_found")
    if subject.deleted:
        raise KeyShredded(f"subject {subject_id} was erased", details={"subject_id": subject_id})
    return subject


def profile(gh: Gatehouse, subject_id: str) -> dict[str, Any]:
    """The customer's own data, unmasked, except the customs code.

    The customs clearance code is a unique identifier that a glance over the shoulder could
    misuse, so the screen shows ``P*********012``; the export carries it whole.
    """
    with gh.engine.connect() as connection:
        subject = live_subject(connection, subject_id)
        pii = decrypt_pii(gh, connection, subject_id)
    return {
        "subject_id": subject.id,
        "locale": subject.locale,
        "residence_country": subject.residence_country,
        "name": pii.name,
        "email": pii.email,
        "phone": pii.phone,
        "address": {
            "postal_code": pii.address.postal_code,
            "line1": pii.address.line1,
            "line2": pii.address.line2,
        },
        "customs_code": mask_customs_code(pii.customs_code) if pii.customs_code else None,
        "created_at": subject.created_at,
    }
