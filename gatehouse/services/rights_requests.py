"""Data-subject requests and complaints: filed by the customer, answered by the operator.

Each request runs on the clock of the customer's rule pack (KR-PIPA: answer within 10 days,
alert from day 7). Free text is sealed under the subject's key (scope ``request:<id>``) like an
order's contents, so it is shredded with the subject. The ledger records that a request was
made and how and when it was answered; never what it said.

Reading stored requests back, paging cursors and remedies live in ``request_records``,
``paging`` and ``remedies`` beside this module, and are re-exported here.
"""

from __future__ import annotations

from datetime import datetime

from gatehouse.domain.consents import Channel
from gatehouse.domain.errors import Conflict, InvalidInput, NotFound
from gatehouse.domain.ids import new_id
from gatehouse.domain.redaction import redact_pii
from gatehouse.domain.requests import (
    RequestStatus,
    RightsRequest,
    deadline_for,
    parse_outcome,
    parse_type,
    resolve,
    validate_message,
)
from gatehouse.services.paging import page_cursor, parse_page_cursor, split_page
from gatehouse.services.remedies import language_of, remedies, remedies_for
from gatehouse.services.request_records import (
    MESSAGE_FIELD,
    RESPONSE_FIELD,
    RequestRecord,
    open_records,
    request_scope,
    seal_text,
)
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.subjects import require_subject, subject_cipher
from gatehouse.services.unit_of_work import UnitOfWork
from gatehouse.store.records import StoredRequest
from gatehouse.vault import KeyShredded

__all__ = [
    "RequestRecord",
    "page_cursor",
    "parse_page_cursor",
    "request_scope",
    "remedies",
    "remedies_for",
    "language_of",
    "submit_request",
    "requests_of_subject",
    "list_requests",
    "get_request",
    "resolve_request",
]


def submit_request(
    gh: Gatehouse,
    subject_id: str,
    *,
    request_type: str,
    message: str,
    transfer_id: str | None = None,
    channel: str = "web",
) -> RequestRecord:
    """File a request for a live subject; ``transfer_id`` must be one of the subject's own."""
    kind = parse_type(request_type)
    # Identifiers typed into the message (a phone, a registration or account number) are
    # replaced before it is stored: the request is answered from the subject's own record, and
    # a complaint's text outlives the account for three years (the e-commerce hold).
    text = redact_pii(validate_message(message))
    if channel not in {c.value for c in Channel}:
        raise InvalidInput(
            f"channel must be one of {', '.join(c.value for c in Channel)}", code="invalid_channel"
        )
    now = gh.clock()
    with gh.unit_of_work() as uow:
        subject = require_subject(uow.subjects, subject_id)
        cipher = subject_cipher(gh, uow.subjects, subject_id)
        if subject.deleted or cipher is None:
            raise KeyShredded(
                f"subject {subject_id} was erased", details={"subject_id": subject_id}
            )
        # Someone else's transfer is reported exactly like one that does not exist.
        if transfer_id is not None and not uow.transfers.belongs_to(transfer_id, subject_id):
            raise NotFound(f"no transfer with id {transfer_id!r}", code="transfer_not_found")
        deadlines = gh.packs.by_id(subject.rule_pack).deadlines
        deadline = deadline_for(
            now, days=deadlines.rights_request_days, alert_day=deadlines.rights_request_alert_day
        )
        request = RightsRequest(new_id("req"), subject_id, kind, transfer_id, deadline)
        uow.requests.add(request, channel)
        seal_text(uow.subjects, cipher, request.id, MESSAGE_FIELD, text)
        uow.ledger.append(
            kind="request.created",
            at=now,
            subject_id=subject_id,
            recipient_id=None,
            payload={
                "request_id": request.id,
                "type": kind.value,
                "transfer_id": transfer_id,
                "channel": channel,
                "due_at": deadline.due_at.isoformat(),
            },
        )
    return RequestRecord(request=request, channel=channel, message=text, erased=False)


def requests_of_subject(gh: Gatehouse, subject_id: str) -> list[RequestRecord]:
    """The subject's requests, newest first, with their texts opened."""
    with gh.unit_of_work(read_only=True) as uow:
        stored = uow.requests.of_subject(subject_id, newest_first=True)
        return open_records(gh, uow.subjects, stored)


def _status(status: str | None) -> RequestStatus | None:
    if status is None:
        return None
    try:
        return RequestStatus(status)
    except ValueError:
        raise InvalidInput("status must be pending or resolved", code="invalid_status") from None


def list_requests(
    gh: Gatehouse,
    *,
    status: str | None = None,
    due_before: datetime | None = None,
    subject_id: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> tuple[list[RightsRequest], str | None]:
    """The operator's queue: a page of requests in due order, and the next page's cursor.

    Texts are not opened here; :func:`get_request` opens one request's texts.
    """
    wanted = _status(status)
    position = None if after is None else parse_page_cursor(after)
    with gh.unit_of_work(read_only=True) as uow:
        stored = uow.requests.page(
            status=wanted,
            due_before=due_before,
            subject_id=subject_id,
            after=position,
            limit=limit + 1,
        )
    return split_page(
        [item.request for item in stored],
        limit,
        lambda request: page_cursor(request.deadline.due_at, request.id),
    )


def _stored(uow: UnitOfWork, request_id: str, *, lock: bool = False) -> StoredRequest:
    stored = uow.requests.get(request_id, lock=lock)
    if stored is None:
        raise NotFound(f"no request with id {request_id!r}", code="request_not_found")
    return stored


def get_request(
    gh: Gatehouse, request_id: str, *, subject_id: str | None = None, api_key_id: str | None = None
) -> RequestRecord:
    """One request with its texts opened.

    With ``subject_id`` (the customer's side) another subject's request is not found. With
    ``api_key_id`` (the operator's side) the read of the customer's words is recorded, as
    every unmasked operator read of personal data is.
    """
    with gh.unit_of_work() as uow:
        stored = _stored(uow, request_id)
        owner = stored.request.subject_id
        if subject_id is not None and owner != subject_id:
            raise NotFound(f"no request with id {request_id!r}", code="request_not_found")
        (record,) = open_records(gh, uow.subjects, [stored])
        if api_key_id is not None and not record.erased:
            uow.subjects.record_pii_read(
                owner, api_key_id, f"rights request {request_id}", [MESSAGE_FIELD], gh.clock()
            )
    return record


def resolve_request(
    gh: Gatehouse,
    request_id: str,
    *,
    outcome: str,
    message: str | None,
    refusal_reason: str | None = None,
    appeal_route: str | None = None,
) -> RequestRecord:
    """Answer a request once; a refusal (in whole or part) needs reasons and the appeal route."""
    now = gh.clock()
    with gh.unit_of_work() as uow:
        # Locked, so two operators answering at once cannot both succeed.
        request = _stored(uow, request_id, lock=True).request
        resolution = resolve(
            request,
            outcome=parse_outcome(outcome),
            message=message,
            refusal_reason=refusal_reason,
            appeal_route=appeal_route,
            at=now,
        )
        if not uow.requests.resolve(request_id, resolution):
            # SQLite takes no row lock; the status condition stops the second writer instead.
            raise Conflict("this request was resolved already", code="request_resolved")
        cipher = subject_cipher(gh, uow.subjects, request.subject_id)
        # After erasure no one is left to read the answer, so its text is not kept.
        if cipher is not None and resolution.message is not None:
            seal_text(uow.subjects, cipher, request_id, RESPONSE_FIELD, resolution.message)
        (record,) = open_records(gh, uow.subjects, [_stored(uow, request_id)])
        uow.ledger.append(
            kind="request.resolved",
            at=now,
            subject_id=request.subject_id,
            recipient_id=None,
            payload={
                "request_id": request_id,
                "type": request.type.value,
                "outcome": resolution.outcome.value,
                "due_at": request.deadline.due_at.isoformat(),
                "deadline_state": record.request.deadline_state(now).value,
            },
        )
    return record
