"""Data-subject requests and complaints: filed by the customer, answered by the operator.

Each request runs on the clock of the customer's rule pack (KR-PIPA: answer within 10 days,
alert from day 7). Free text is sealed under the subject's key (scope ``request:<id>``) like an
order's contents, so it is shredded with the subject. The ledger records that a request was
made and how and when it was answered; never what it said.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, insert, or_, select, update

from gatehouse.domain.consents import Channel
from gatehouse.domain.errors import Conflict, InvalidInput, NotFound
from gatehouse.domain.ids import new_id
from gatehouse.domain.policy import RulePack
from gatehouse.domain.requests import (
    Deadline,
    Outcome,
    RequestStatus,
    RequestType,
    Resolution,
    RightsRequest,
    deadline_for,
    parse_outcome,
    parse_type,
    resolve,
    validate_message,
)
from gatehouse.domain.subjects import Subject
from gatehouse.services import ledger
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.customer_tables import rights_requests
from gatehouse.store.subjects import SubjectRepository
from gatehouse.store.tables import pii_fields, transfers
from gatehouse.vault import FieldCipher, KeyShredded, unwrap_key

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

_MESSAGE = "message"
_RESPONSE = "response"
_CURSOR = re.compile(r"([0-9]{8}T[0-9]{12})\.([A-Za-z0-9_]{1,40})")
_CURSOR_TIME = "%Y%m%dT%H%M%S%f"


def page_cursor(at: datetime, last_id: str) -> str:
    """The cursor after the row at ``(at, last_id)`` in a list ordered by time, then id."""
    return f"{at.strftime(_CURSOR_TIME)}.{last_id}"


def parse_page_cursor(cursor: str) -> tuple[datetime, str]:
    """The ``(at, last_id)`` of a :func:`page_cursor`, or ``InvalidInput``."""
    match = _CURSOR.fullmatch(cursor)
    try:
        if match is None:
            raise ValueError(cursor)
        return datetime.strptime(match[1], _CURSOR_TIME).replace(tzinfo=UTC), match[2]
    except ValueError:
        raise InvalidInput(
            "cursor is not one this endpoint returned", code="invalid_cursor"
        ) from None


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


def remedies(pack: RulePack, language: str) -> list[dict[str, str]]:
    """The pack's public remedies (e.g. 118, 1833-6972, 1301, 182) in ``language``."""
    return [
        {
            "name": remedy.name.text(language, pack.required_language),
            "phone": remedy.phone,
            "url": remedy.url,
        }
        for remedy in pack.remedies
    ]


def language_of(subject: Subject, pack: RulePack) -> str:
    """The pack language to speak to this subject in: their locale's, else the required one."""
    language = subject.locale.split("-")[0].lower()
    return language if language in pack.languages else pack.required_language


def remedies_for(gh: Gatehouse, subject_id: str) -> list[dict[str, str]]:
    """The remedies of the subject's rule pack, in the subject's language (erased or not)."""
    with gh.engine.connect() as connection:
        subject = SubjectRepository(connection).get(subject_id)
    if subject is None:
        raise NotFound(f"no subject with id {subject_id!r}", code="subject_not_found")
    pack = gh.packs.by_id(subject.rule_pack)
    return remedies(pack, language_of(subject, pack))


def _cipher(gh: Gatehouse, connection: Connection, subject_id: str) -> FieldCipher | None:
    wrapped = SubjectRepository(connection).wrapped_key(subject_id)
    if wrapped is None:
        return None
    return FieldCipher(subject_id, unwrap_key(wrapped, subject_id, gh.keyring))


def _seal(
    connection: Connection, cipher: FieldCipher, request_id: str, field: str, text: str
) -> None:
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
    cipher = _cipher(gh, connection, subject_id)
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


def _to_request(row: Row[Any], response: str | None) -> RightsRequest:
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


def _records(
    gh: Gatehouse, connection: Connection, rows: Sequence[Row[Any]]
) -> list[RequestRecord]:
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
                request=_to_request(row, mine.get(_RESPONSE)),
                channel=row.channel,
                message=mine.get(_MESSAGE),
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
    return _records(gh, connection, rows)


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
        cipher = _cipher(gh, connection, subject_id)
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
        _seal(connection, cipher, request_id, _MESSAGE, text)
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
        return _records(gh, connection, rows)


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
    page = [_to_request(row, None) for row in rows[:limit]]
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
        (record,) = _records(gh, connection, [row])
        if api_key_id is not None and not record.erased:
            SubjectRepository(connection).record_pii_read(
                row.subject_id, api_key_id, f"rights request {request_id}", [_MESSAGE], gh.clock()
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
            _to_request(row, None),
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
        cipher = _cipher(gh, connection, row.subject_id)
        # After erasure no one is left to read the answer, so its text is not kept.
        if cipher is not None and resolution.message is not None:
            _seal(connection, cipher, request_id, _RESPONSE, resolution.message)
        (record,) = _records(gh, connection, [_row(connection, request_id)])
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
