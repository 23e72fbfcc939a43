"""Who has my data: the customer's allowed transfers, each with its ledger inclusion proof."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, func, or_, select

from gatehouse.domain.errors import NotFound
from gatehouse.domain.policy import RulePack
from gatehouse.services import ledger
from gatehouse.services.customer_profile import live_subject
from gatehouse.services.paging import page_cursor, parse_page_cursor
from gatehouse.services.remedies import language_of
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.ledger import LedgerRepository
from gatehouse.store.tables import orders, recipients, transfers, views

__all__ = ["TransferPage", "transfers_of", "transfer_of", "order_refs"]


@dataclass(frozen=True)
class TransferPage:
    """A page of the customer's allowed transfers, and how many went to each country."""

    items: list[dict[str, Any]]
    next_cursor: str | None
    by_country: dict[str, int]


def _transfer_rows(
    connection: Connection,
    subject_id: str,
    after: str | None,
    limit: int,
    transfer_id: str | None = None,
) -> list[Row[Any]]:
    # Newest first: a customer asks who got their data lately.
    newest = (transfers.c.decided_at.desc(), transfers.c.id.desc())
    # The page's ids first, from the transfers alone, and only then the joins: joining every
    # transfer of the customer to sort them made a page's time grow with their history.
    page = (
        select(transfers.c.id)
        .where(transfers.c.subject_id == subject_id, transfers.c.allowed.is_(True))
        .order_by(*newest)
        .limit(limit + 1)
    )
    if transfer_id is not None:
        page = page.where(transfers.c.id == transfer_id)
    if after is not None:
        decided, last_id = parse_page_cursor(after)
        page = page.where(
            or_(
                transfers.c.decided_at < decided,
                and_(transfers.c.decided_at == decided, transfers.c.id < last_id),
            )
        )
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
        .where(transfers.c.id.in_(page.scalar_subquery()))
        .order_by(*newest)
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
        subject = live_subject(connection, subject_id)
        rows = _transfer_rows(connection, subject_id, after, limit)
        # The positions read every ledger entry of the subject: only a proof needs them.
        positions = _ledger_positions(connection, subject_id) if with_proofs else {}
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


def transfer_of(
    gh: Gatehouse, subject_id: str, transfer_id: str, *, with_proof: bool = True
) -> dict[str, Any]:
    """One of the subject's allowed transfers with its proof; another's is not found.

    A page that only names the transfer passes ``with_proof=False`` and gets ``proof: None``.
    """
    now = gh.clock()
    with gh.engine.connect() as connection:
        subject = live_subject(connection, subject_id)
        rows = _transfer_rows(connection, subject_id, None, 1, transfer_id)
        positions = _ledger_positions(connection, subject_id) if with_proof else {}
    if not rows:
        raise NotFound(f"no transfer with id {transfer_id!r}", code="transfer_not_found")
    pack = gh.packs.by_id(subject.rule_pack)
    item = _transfer_item(rows[0], pack, language_of(subject, pack), now)
    position = positions.get(transfer_id)
    item["proof"] = _proofs(gh, [position])[position] if position else None
    return item


def order_refs(gh: Gatehouse, subject_id: str, transfer_ids: Collection[str]) -> dict[str, str]:
    """The order number of each of the subject's transfers among ``transfer_ids``.

    Another subject's transfer, or an unknown id, is left out.
    """
    if not transfer_ids:
        return {}
    with gh.engine.connect() as connection:
        rows = connection.execute(
            select(transfers.c.id, orders.c.external_ref)
            .join(orders, orders.c.id == transfers.c.order_id)
            .where(transfers.c.subject_id == subject_id, transfers.c.id.in_(sorted(transfer_ids)))
        ).all()
    return {str(transfer_id): str(ref) for transfer_id, ref in rows}
