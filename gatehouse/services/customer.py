"""The customer's own view of their data: who they are to us, who got their data, and all of it.

Every function takes the subject id of an authenticated customer session and reads only that
subject's rows; ids the customer names (a transfer, a consent, a request) are looked up within
that subject, so another customer's id is simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, func, or_, select

from gatehouse.domain.errors import NotFound
from gatehouse.domain.masking import mask_customs_code
from gatehouse.domain.policy import RulePack
from gatehouse.domain.subjects import Subject, unmasked_pii
from gatehouse.services import ledger
from gatehouse.services.consents import consent_states
from gatehouse.services.customer_sessions import revoke_sessions
from gatehouse.services.deletion import delete_subject
from gatehouse.services.orders import order_contents
from gatehouse.services.rights_requests import (
    language_of,
    page_cursor,
    parse_page_cursor,
    requests_of_subject,
)
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.subjects import decrypt_pii
from gatehouse.store.ledger import LedgerRepository
from gatehouse.store.notices import ConsentRepository
from gatehouse.store.subjects import SubjectRepository
from gatehouse.store.tables import notices, orders, recipients, transfers, views
from gatehouse.vault import KeyShredded

__all__ = [
    "TransferPage",
    "profile",
    "transfers_of",
    "transfer_of",
    "consents_of",
    "export",
    "delete_account",
]

EXPORT_FORMAT = "gatehouse.subject-export/1"


@dataclass(frozen=True)
class TransferPage:
    """A page of the customer's allowed transfers, and how many went to each country."""

    items: list[dict[str, Any]]
    next_cursor: str | None
    by_country: dict[str, int]


def _subject(connection: Connection, subject_id: str) -> Subject:
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
        subject = _subject(connection, subject_id)
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


# -- who has my data -----------------------------------------------------------------------


def _transfer_rows(
    connection: Connection,
    subject_id: str,
    after: str | None,
    limit: int,
    transfer_id: str | None = None,
) -> list[Row[Any]]:
    query = (
        select(
            transfers,
            orders.c.external_ref.label("order_ref"),
            recipients.c.kind.label("recipient_kind"),
            recipients.c.legal_name,
            recipients.c.contact_phone,
            recipients.c.contact_email,
            recipients.c.privacy_officer_name,
            recipients.c.privacy_officer_email,
            recipients.c.privacy_officer_phone,
            recipients.c.retention_days,
            views.c.expires_at,
            views.c.closed_at,
            views.c.close_reason,
        )
        .join(orders, orders.c.id == transfers.c.order_id)
        .join(recipients, recipients.c.id == transfers.c.recipient_id)
        .outerjoin(views, views.c.transfer_id == transfers.c.id)
        .where(transfers.c.subject_id == subject_id, transfers.c.allowed.is_(True))
        # Newest first: a customer asks who got their data lately.
        .order_by(transfers.c.decided_at.desc(), transfers.c.id.desc())
        .limit(limit + 1)
    )
    if transfer_id is not None:
        query = query.where(transfers.c.id == transfer_id)
    if after is not None:
        decided, last_id = parse_page_cursor(after)
        query = query.where(
            or_(
                transfers.c.decided_at < decided,
                and_(transfers.c.decided_at == decided, transfers.c.id < last_id),
            )
        )
    return list(connection.execute(query))


def _status(row: Row[Any], now: datetime) -> tuple[str, str | None, datetime | None]:
    """(open|closed, why it closed, until when it is or was open)."""
    if row.closed_at is not None:
        return "closed", row.close_reason, row.closed_at
    if row.expires_at is None or row.expires_at <= now:
        # Past its window but not yet swept: closed all the same for the recipient.
        return "closed", "window_ended", row.expires_at
    return "open", None, row.expires_at


def _transfer_item(row: Row[Any], pack: RulePack, language: str, now: datetime) -> dict[str, Any]:
    fallback = pack.required_language
    status, reason, until = _status(row, now)
    purpose = pack.purposes.get(row.purpose)
    basis = pack.bases.get(row.basis) if row.basis else None
    return {
        "transfer_id": row.id,
        "order_ref": row.order_ref,
        "recipient": {
            "id": row.recipient_id,
            "kind": row.recipient_kind,
            "legal_name": row.legal_name,
            "country": row.country,
            "contact": {"phone": row.contact_phone, "email": row.contact_email},
            "privacy_officer": {
                "name": row.privacy_officer_name,
                "email": row.privacy_officer_email,
                "phone": row.privacy_officer_phone,
            },
            "retention_days": row.retention_days,
        },
        "country": row.country,
        "items": list(row.fields),
        "item_labels": [
            pack.field_labels[f].text(language, fallback) if f in pack.field_labels else f
            for f in row.fields
        ],
        "purpose": row.purpose,
        "purpose_label": purpose.label.text(language, fallback) if purpose else row.purpose,
        "flow": row.flow,
        "basis": row.basis,
        "basis_label": basis.label.text(language, fallback) if basis else row.basis,
        "notice_hash": row.notice_hash,
        "when": row.decided_at,
        "until": until,
        "status": status,
        "close_reason": reason,
    }


def _ledger_positions(connection: Connection, subject_id: str) -> dict[str, tuple[int, int]]:
    """Where each of the subject's allowed transfers sits in the ledger: (shard, seq)."""
    entries = LedgerRepository(connection).find(kind="transfer.allowed", subject_id=subject_id)
    return {str(e.payload.get("transfer_id")): (e.shard, e.seq) for e in entries}


def _proofs(gh: Gatehouse, positions: list[tuple[int, int]]) -> dict[tuple[int, int], Any]:
    """Inclusion proofs of the given entries against the latest checkpoint.

    When the latest checkpoint does not cover an entry yet, one is signed first. A customer
    asking who holds their data should get evidence they can check now, not a promise for
    the next periodic checkpoint; and signing one is cheap (one signature over the shard
    heads) and only happens when the ledger has grown past the last one.
    """
    if not positions:
        return {}
    checkpoint = ledger.latest_checkpoint(gh)
    uncovered = checkpoint is None or any(
        (head := checkpoint.head(shard)) is None or head.size <= seq for shard, seq in positions
    )
    if uncovered:
        ledger.make_checkpoint(gh)
    return {(shard, seq): ledger.inclusion_proof(gh, shard, seq) for shard, seq in positions}


def transfers_of(
    gh: Gatehouse,
    subject_id: str,
    *,
    after: str | None = None,
    limit: int = 50,
    with_proofs: bool = True,
) -> TransferPage:
    """The subject's allowed transfers, newest first, each with its proof of inclusion.

    Each proof reads its shard's leaf hashes, so a caller that only displays the list (a page
    listing every transfer) passes ``with_proofs=False`` and gets ``proof: None``.
    """
    now = gh.clock()
    with gh.engine.connect() as connection:
        subject = _subject(connection, subject_id)
        rows = _transfer_rows(connection, subject_id, after, limit)
        positions = _ledger_positions(connection, subject_id)
        counts = connection.execute(
            select(transfers.c.country, func.count())
            .where(transfers.c.subject_id == subject_id, transfers.c.allowed.is_(True))
            .group_by(transfers.c.country)
        ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    pack = gh.packs.by_id(subject.rule_pack)
    language = language_of(subject, pack)
    wanted = [positions[row.id] for row in rows if row.id in positions] if with_proofs else []
    proofs = _proofs(gh, wanted)
    items = []
    for row in rows:
        item = _transfer_item(row, pack, language, now)
        position = positions.get(row.id)
        item["proof"] = proofs.get(position) if position else None
        items.append(item)
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = page_cursor(last.decided_at, last.id)
    by_country = {str(country or "??"): int(count) for country, count in counts}
    return TransferPage(
        items=items, next_cursor=next_cursor, by_country=dict(sorted(by_country.items()))
    )


def transfer_of(gh: Gatehouse, subject_id: str, transfer_id: str) -> dict[str, Any]:
    """One of the subject's allowed transfers with its proof; another's is not found."""
    now = gh.clock()
    with gh.engine.connect() as connection:
        subject = _subject(connection, subject_id)
        rows = _transfer_rows(connection, subject_id, None, 1, transfer_id)
        positions = _ledger_positions(connection, subject_id)
    if not rows:
        raise NotFound(f"no transfer with id {transfer_id!r}", code="transfer_not_found")
    pack = gh.packs.by_id(subject.rule_pack)
    item = _transfer_item(rows[0], pack, language_of(subject, pack), now)
    position = positions.get(transfer_id)
    item["proof"] = _proofs(gh, [position])[position] if position else None
    return item


# -- consents ------------------------------------------------------------------------------


def consents_of(gh: Gatehouse, subject_id: str) -> list[dict[str, Any]]:
    """The subject's consents, one per notice, naming the recipients and countries in scope."""
    with gh.engine.connect() as connection:
        subject = _subject(connection, subject_id)
    states = consent_states(gh, subject_id)
    hashes = sorted({s.notice_hash for s in states})
    ids = sorted({rid for s in states for rid in s.recipients})
    with gh.engine.connect() as connection:
        names = {
            row.id: row
            for row in connection.execute(
                select(recipients.c.id, recipients.c.legal_name, recipients.c.country).where(
                    recipients.c.id.in_(ids)
                )
            )
        }
        countries = {
            row.hash: list(row.countries)
            for row in connection.execute(
                select(notices.c.hash, notices.c.countries).where(notices.c.hash.in_(hashes))
            )
        }
    pack = gh.packs.by_id(subject.rule_pack)
    language = language_of(subject, pack)
    items = []
    for state in states:
        purpose = pack.purposes.get(state.purpose)
        items.append(
            {
                "id": state.consent_id,
                "notice_hash": state.notice_hash,
                "purpose": state.purpose,
                "purpose_label": purpose.label.text(language, pack.required_language)
                if purpose
                else state.purpose,
                "recipients": [
                    {
                        "id": rid,
                        "legal_name": names[rid].legal_name if rid in names else None,
                        "country": names[rid].country if rid in names else None,
                    }
                    for rid in sorted(state.recipients)
                ],
                "countries": countries.get(state.notice_hash, []),
                "granted": state.granted,
                "granted_at": state.granted_at,
                "withdrawn_at": state.withdrawn_at,
                "channel": state.channel,
            }
        )
    return items


# -- everything held, and deletion -----------------------------------------------------------


def _consent_history(connection: Connection, subject_id: str) -> list[dict[str, Any]]:
    """Every answer the subject gave, with the exact text of the notice it answered."""
    history = ConsentRepository(connection).history(subject_id)
    hashes = sorted({record.notice_hash for record in history})
    texts = {
        row.hash: row
        for row in connection.execute(select(notices).where(notices.c.hash.in_(hashes)))
    }
    answers = []
    for record in history:
        notice = texts.get(record.notice_hash)
        answers.append(
            {
                "id": record.id,
                "granted": record.granted,
                "withdraws": record.withdraws,
                "channel": record.channel,
                "at": record.at,
                "purpose": record.purpose,
                "recipients": sorted(record.recipients),
                "notice": None
                if notice is None
                else {
                    "hash": notice.hash,
                    "locale": notice.locale,
                    "purpose": notice.purpose,
                    "flow": notice.flow,
                    "countries": list(notice.countries),
                    "shown_at": notice.created_at,
                    "text": notice.text,
                },
            }
        )
    return answers


def _orders(gh: Gatehouse, connection: Connection, subject_id: str) -> list[dict[str, Any]]:
    """Every order with its contents opened (items and the delivery note as written)."""
    rows = connection.execute(
        select(orders).where(orders.c.subject_id == subject_id).order_by(orders.c.created_at)
    ).all()
    result = []
    for order in rows:
        items, note = order_contents(gh, connection, order)
        facts = {k: v for k, v in order._asdict().items() if k != "has_delivery_note"}
        result.append({**facts, "items": items, "delivery_note": note})
    return result


def _decisions(connection: Connection, subject_id: str) -> list[dict[str, Any]]:
    """Every transfer decision about the subject, refused ones too: we hold those as well."""
    rows = connection.execute(
        select(
            transfers,
            recipients.c.legal_name.label("recipient_name"),
            views.c.expires_at.label("view_expires_at"),
            views.c.closed_at.label("view_closed_at"),
        )
        .join(recipients, recipients.c.id == transfers.c.recipient_id)
        .outerjoin(views, views.c.transfer_id == transfers.c.id)
        .where(transfers.c.subject_id == subject_id)
        .order_by(transfers.c.decided_at, transfers.c.id)
    )
    return [row._asdict() for row in rows]


def export(gh: Gatehouse, subject_id: str) -> dict[str, Any]:
    """Everything held about the subject, machine-readable (Art. 35 access, in full).

    The profile is unmasked here, customs code included: this is the customer's own copy.
    The export itself is recorded in the ledger, without its content.
    """
    now = gh.clock()
    with gh.engine.connect() as connection:
        subject = _subject(connection, subject_id)
        pii = decrypt_pii(gh, connection, subject_id)
        consents = _consent_history(connection, subject_id)
        order_list = _orders(gh, connection, subject_id)
        decisions = _decisions(connection, subject_id)
        reads = SubjectRepository(connection).pii_reads(subject_id)
        entries = LedgerRepository(connection).find(subject_id=subject_id)
    requests = [
        {
            "id": r.request.id,
            "type": r.request.type.value,
            "transfer_id": r.request.transfer_id,
            "channel": r.channel,
            "message": r.message,
            "status": r.request.status.value,
            "created_at": r.request.deadline.created_at,
            "due_at": r.request.deadline.due_at,
            "resolution": None
            if r.request.resolution is None
            else {
                "outcome": r.request.resolution.outcome.value,
                "message": r.request.resolution.message,
                "refusal_reason": r.request.resolution.refusal_reason,
                "appeal_route": r.request.resolution.appeal_route,
                "resolved_at": r.request.resolution.resolved_at,
            },
        }
        for r in requests_of_subject(gh, subject_id)
    ]
    with gh.engine.begin() as connection:
        ledger.append(
            connection,
            kind="subject.exported",
            at=now,
            subject_id=subject_id,
            recipient_id=None,
            payload={"format": EXPORT_FORMAT, "ledger_entries": len(entries)},
        )
    return {
        "format": EXPORT_FORMAT,
        "generated_at": now,
        "subject": {
            "id": subject.id,
            "residence_country": subject.residence_country,
            "locale": subject.locale,
            "rule_pack": subject.rule_pack,
            "created_at": subject.created_at,
        },
        "profile": unmasked_pii(pii),
        "consents": consents,
        "orders": order_list,
        "transfers": decisions,
        "requests": requests,
        "operator_reads": reads,
        "ledger": [entry.to_dict() for entry in entries],
    }


def delete_account(gh: Gatehouse, subject_id: str) -> dict[str, Any]:
    """The customer deletes their account: the deletion engine runs, then every session ends.

    Authentication also refuses a deleted subject, so a session that outlives this call by a
    race is refused all the same; revoking makes the end visible in the session table too.
    """
    receipt = delete_subject(gh, subject_id, requested_by="customer")
    revoke_sessions(gh, subject_id)
    return receipt
