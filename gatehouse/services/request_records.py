"""Stored rights requests read back as records, their texts sealed under the subject's key.

A request's free text lives in ``pii_fields`` under the scope ``request:<id>``, so shredding
the subject's key erases it along with the rest of their data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from gatehouse.domain.requests import RightsRequest
from gatehouse.services.ports import Subjects
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.subjects import subject_cipher
from gatehouse.store.records import StoredRequest
from gatehouse.vault import FieldCipher

__all__ = [
    "MESSAGE_FIELD",
    "RESPONSE_FIELD",
    "RequestRecord",
    "request_scope",
    "seal_text",
    "open_records",
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


def seal_text(
    subjects: Subjects, cipher: FieldCipher, request_id: str, field: str, text: str
) -> None:
    """Seal one text of a request under the subject's key, in the caller's unit of work."""
    scope = request_scope(request_id)
    blob = cipher.encrypt(scope, field, text)
    subjects.add_ciphertexts(cipher.subject_id, scope, {field: blob})


def _texts(
    gh: Gatehouse, subjects: Subjects, subject_id: str, request_ids: Sequence[str]
) -> dict[str, dict[str, str]] | None:
    """Every sealed text of the given requests, by request id; None once the key is gone."""
    cipher = subject_cipher(gh, subjects, subject_id)
    if cipher is None:
        return None
    scopes = {request_scope(rid): rid for rid in request_ids}
    opened: dict[str, dict[str, str]] = {rid: {} for rid in request_ids}
    for scope, blobs in subjects.ciphertexts_in(subject_id, scopes).items():
        for field, blob in blobs.items():
            opened[scopes[scope]][field] = cipher.decrypt(scope, field, blob)
    return opened


def _answered(request: RightsRequest, response: str | None) -> RightsRequest:
    """The request with its answer's text put back (the store keeps it sealed)."""
    if request.resolution is None:
        return request
    return replace(request, resolution=replace(request.resolution, message=response))


def open_records(
    gh: Gatehouse, subjects: Subjects, stored: Sequence[StoredRequest]
) -> list[RequestRecord]:
    """The given requests with their texts opened, each subject's key used once."""
    by_subject: dict[str, list[str]] = {}
    for item in stored:
        by_subject.setdefault(item.request.subject_id, []).append(item.request.id)
    texts = {sid: _texts(gh, subjects, sid, ids) for sid, ids in by_subject.items()}
    records = []
    for item in stored:
        opened = texts[item.request.subject_id]
        mine = {} if opened is None else opened.get(item.request.id, {})
        records.append(
            RequestRecord(
                request=_answered(item.request, mine.get(RESPONSE_FIELD)),
                channel=item.channel,
                message=mine.get(MESSAGE_FIELD),
                erased=opened is None,
            )
        )
    return records
