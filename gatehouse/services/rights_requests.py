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
from typing import Any

from sqlalchemy import Connection, Row, and_, insert, or_, select, update

from gatehouse.domain.consents import Channel
from gatehouse.domain.errors import Conflict, InvalidInput, NotFound
from gatehouse.domain.ids import new_id
from gatehouse.domain.requests import (
    RequestStatus,
    RightsRequest,
    deadline_for,
    parse_outcome,
    parse_type,
    resolve,
    validate_message,
)
from gatehouse.services import ledger
from gatehouse.services.paging import page_cursor, parse_page_cursor
from gatehouse.services.remedies import language_of, remedies, remedies_for
from gatehouse.services.request_records import (
    MESSAGE_FIELD,
    RESPONSE_FIELD,
    RequestRecord,
    complaints_of,
    open_records,
    request_cipher,
    request_scope,
    seal_text,
    to_request,
)
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.customer_tables import rights_requests
from gatehouse.store.subjects import SubjectRepository
from gatehouse.store.tables import transfers
from gatehouse.vault import KeyShredded

__all__ = [
    "complaints_of",
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
    text = validate_message(message)
    if channel not in {c.value for c in Channel}:
        raise InvalidInput(
            f"channel must be one of {', '.join(c.value for c in Channel)}", code="invalid_channel"
        )
    now = gh.clock()
    request_id = new_id("req")
    with gh.engine.begin() as connection:
        subject = SubjectRepository(connection).get(subject_id)
        if subject is None:
            raise NotFound(f"no subject with id {subject_id!r}", code="subject_not_found")
        cipher = request_cipher(gh, connection, subject_id)
        if subject.deleted or cipher is None:
            raise KeyShredded(
                f"subject {subject_id} was erased", details={"subject_id": subject_id}
            )
        if transfer_id is not None:
            owned = connection.execute(
                select(transfers.c.id).where(
                    transfers.c.id == transfer_id, transfers.c.subject_id == subject_id
                )
            ).first()
            # Someone else's transfer is reported exactly like one that does not exist.
            if owned is None:
                raise NotFound(f"no transfer with id {transfer_id!r}", code="transfer_not_found")
        deadlines = gh.packs.by_id(subject.rule_pack).deadlines
        deadline = deadline_for(
            now, days=deadlines.rights_request_days, alert_day=deadlines.rights_request_alert_day
        )
        connection.execute(
            insert(rights_requests).values(
                id=request_id,
                subject_id=subject_id,
                type=kind.value,
                transfer_id=transfer_id,
                channel=channel,
                status=RequestStatus.PENDING.value,
                created_at=now,
                alert_at=deadline.alert_at,
                due_at=deadline.due_at,
            )
        )
        seal_text(connection, cipher, request_id, MESSAGE_FIELD, text)
        ledger.append(
            connection,
            kind="request.created",
            at=now,
            subject_id=subject_id,
            recipient_id=None,
            payload={
                "request_id": request_id,
                "type": kind.value,
                "transfer_id": transfer_id,
                "channel": channel,
                "due_at": deadline.due_at.isoformat(),
            },
        )
    request = RightsRequest(request_id, subject_id, kind, transfer_id, deadline)
    return RequestRecord(request=request, channel=channel, message=text, erased=False)


def requests_of_subject(gh: Gatehouse, subject_id: str) -> list[RequestRecord]:
    """The subject's requests, newest first, with their texts opened."""
    with gh.engine.connect() as connection:
        rows = connection.execute(
            select(rights_requests)
            .where(rights_requests.c.subject_id == subject_id)
            .order_by(rights_requests.c.created_at.desc(), rights_requests.c.id)
        ).all()
        return open_records(gh, connection, rows)


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
    query = select(rights_requests).order_by(rights_requests.c.due_at, rights_requests.c.id)
    if status is not None:
        if status not in {s.value for s in RequestStatus}:
            raise InvalidInput("status must be pending or resolved", code="invalid_status")
        query = query.where(rights_requests.c.status == status)
    if due_before is not None:
        query = query.where(rights_requests.c.due_at < due_before)
    if subject_id is not None:
        query = query.where(rights_requests.c.subject_id == subject_id)
    if after is not None:
        due, last_id = parse_page_cursor(after)
        query = query.where(
            or_(
                rights_requests.c.due_at > due,
                and_(rights_requests.c.due_at == due, rights_requests.c.id > last_id),
            )
        )
    with gh.engine.connect() as connection:
        rows = connection.execute(query.limit(limit + 1)).all()
    more = len(rows) > limit
    page = [to_request(row, None) for row in rows[:limit]]
    next_cursor = None
    if more and page:
        last = page[-1]
        next_cursor = page_cursor(last.deadline.due_at, last.id)
    return page, next_cursor


def _row(connection: Connection, request_id: str, *, lock: bool = False) -> Row[Any]:
    query = select(rights_requests).where(rights_requests.c.id == request_id)
    if lock:
        query = query.with_for_update()
    row = connection.execute(query).first()
    if row is None:
        raise NotFound(f"no request with id {request_id!r}", code="request_not_found")
    return row


def get_request(
    gh: Gatehouse, request_id: str, *, subject_id: str | None = None, api_key_id: str | None = None
) -> RequestRecord:
    """One request with its texts opened.

    With ``subject_id`` (the customer's side) another subject's request is not found. With
    ``api_key_id`` (the operator's side) the read of the customer's words is recorded, as
    every unmasked operator read of personal data is.
    """
    with gh.engine.begin() as connection:
        row = _row(connection, request_id)
        if subject_id is not None and row.subject_id != subject_id:
            raise NotFound(f"no request with id {request_id!r}", code="request_not_found")
        (record,) = open_records(gh, connection, [row])
        if api_key_id is not None and not record.erased:
            SubjectRepository(connection).record_pii_read(
                row.subject_id,
                api_key_id,
                f"rights request {request_id}",
                [MESSAGE_FIELD],
                gh.clock(),
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
    with gh.engine.begin() as connection:
        # Locked, so two operators answering at once cannot both succeed.
        row = _row(connection, request_id, lock=True)
        resolution = resolve(
            to_request(row, None),
            outcome=parse_outcome(outcome),
            message=message,
            refusal_reason=refusal_reason,
            appeal_route=appeal_route,
            at=now,
        )
        done = connection.execute(
            update(rights_requests)
            .where(
                rights_requests.c.id == request_id,
                rights_requests.c.status == RequestStatus.PENDING.value,
            )
            .values(
                status=RequestStatus.RESOLVED.value,
                outcome=resolution.outcome.value,
                refusal_reason=resolution.refusal_reason,
                appeal_route=resolution.appeal_route,
                resolved_at=now,
            )
        )
        if done.rowcount != 1:
            # SQLite takes no row lock; the status condition stops the second writer instead.
            raise Conflict("this request was resolved already", code="request_resolved")
        cipher = request_cipher(gh, connection, row.subject_id)
        # After erasure no one is left to read the answer, so its text is not kept.
        if cipher is not None and resolution.message is not None:
            seal_text(connection, cipher, request_id, RESPONSE_FIELD, resolution.message)
        (record,) = open_records(gh, connection, [_row(connection, request_id)])
        ledger.append(
            connection,
            kind="request.resolved",
            at=now,
            subject_id=row.subject_id,
            recipient_id=None,
            payload={
                "request_id": request_id,
                "type": row.type,
                "outcome": resolution.outcome.value,
                "due_at": row.due_at.isoformat(),
                "deadline_state": record.request.deadline_state(now).value,
            },
        )
    return record
