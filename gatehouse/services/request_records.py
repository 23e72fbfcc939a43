"""Stored rights requests read back as records, their texts sealed under the subject's key.

A request's free text lives in ``pii_fields`` under the scope ``request:<id>``, so shredding
the subject's key erases it along with the rest of their data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, insert, select

from gatehouse.domain.requests import (
    Deadline,
    Outcome,
    RequestStatus,
    RequestType,
    Resolution,
    RightsRequest,
)
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.customer_tables import rights_requests
from gatehouse.store.subjects import SubjectRepository
from gatehouse.store.tables import pii_fields
from gatehouse.vault import FieldCipher, unwrap_key

__all__ = [
    "MESSAGE_FIELD",
    "RESPONSE_FIELD",
    "RequestRecord",
    "request_scope",
    "request_cipher",
    "seal_text",
    "to_request",
    "open_records",
    "complaints_of",
]

MESSAGE_FIELD = "message"
"""The sealed field holding the customer's words."""

RESPONSE_FIELD = "response"
"""The sealed field holding the operator's answer."""


def request_scope(request_id: str) -> str:
    """The vault scope of a request's sealed text (under the subject's key)."""
    return f"request:{request_id}"


@dataclass(frozen=True)
class RequestRecord:
    """A request with its texts opened; texts are None once the subject was erased."""

    request: RightsRequest
    channel: str
    message: str | None
    erased: bool


def request_cipher(gh: Gatehouse, connection: Connection, subject_id: str) -> FieldCipher | None:
    """The subject's field cipher for request texts, or None once the key was shredded."""
    wrapped = SubjectRepository(connection).wrapped_key(subject_id)
    if wrapped is None:
        return None
    return FieldCipher(subject_id, unwrap_key(wrapped, subject_id, gh.keyring))


def seal_text(
    connection: Connection, cipher: FieldCipher, request_id: str, field: str, text: str
) -> None:
    """Seal one text of a request under the subject's key, on the caller's connection."""
    scope = request_scope(request_id)
    connection.execute(
        insert(pii_fields).values(
            subject_id=cipher.subject_id,
            scope=scope,
            field=field,
            ciphertext=cipher.encrypt(scope, field, text),
        )
    )


def _texts(
    gh: Gatehouse, connection: Connection, subject_id: str, request_ids: Sequence[str]
) -> dict[str, dict[str, str]] | None:
    """Every sealed text of the given requests, by request id; None once the key is gone."""
    cipher = request_cipher(gh, connection, subject_id)
    if cipher is None:
        return None
    scopes = {request_scope(rid): rid for rid in request_ids}
    opened: dict[str, dict[str, str]] = {rid: {} for rid in request_ids}
    if not scopes:
        return opened
    rows = connection.execute(
        select(pii_fields).where(
            pii_fields.c.subject_id == subject_id, pii_fields.c.scope.in_(list(scopes))
        )
    )
    for row in rows:
        opened[scopes[row.scope]][row.field] = cipher.decrypt(row.scope, row.field, row.ciphertext)
    return opened


def to_request(row: Row[Any], response: str | None) -> RightsRequest:
    """The domain request of a stored row, answered with ``response`` when resolved."""
    resolution = None
    if row.status == RequestStatus.RESOLVED.value:
        resolution = Resolution(
            outcome=Outcome(row.outcome),
            message=response,
            refusal_reason=row.refusal_reason,
            appeal_route=row.appeal_route,
            resolved_at=row.resolved_at,
        )
    return RightsRequest(
        id=row.id,
        subject_id=row.subject_id,
        type=RequestType(row.type),
        transfer_id=row.transfer_id,
        deadline=Deadline(row.created_at, row.alert_at, row.due_at),
        resolution=resolution,
    )


def open_records(
    gh: Gatehouse, connection: Connection, rows: Sequence[Row[Any]]
) -> list[RequestRecord]:
    """The requests of the given rows with their texts opened, each subject's key used once."""
    by_subject: dict[str, list[str]] = {}
    for row in rows:
        by_subject.setdefault(row.subject_id, []).append(row.id)
    texts = {sid: _texts(gh, connection, sid, ids) for sid, ids in by_subject.items()}
    records = []
    for row in rows:
        opened = texts[row.subject_id]
        mine = {} if opened is None else opened.get(row.id, {})
        records.append(
            RequestRecord(
                request=to_request(row, mine.get(RESPONSE_FIELD)),
                channel=row.channel,
                message=mine.get(MESSAGE_FIELD),
                erased=opened is None,
            )
        )
    return records


def complaints_of(gh: Gatehouse, connection: Connection, subject_id: str) -> list[RequestRecord]:
    """The subject's complaints with their texts, on the caller's connection (for retention)."""
    rows = connection.execute(
        select(rights_requests)
        .where(
            rights_requests.c.subject_id == subject_id,
            rights_requests.c.type == RequestType.COMPLAINT.value,
        )
        .order_by(rights_requests.c.created_at, rights_requests.c.id)
    ).all()
    return open_records(gh, connection, rows)
