"""What recipients read: their own views, inside the window, each read written to the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gatehouse.domain.errors import GatehouseError, NotFound
from gatehouse.domain.recipients import RecipientStatus
from gatehouse.domain.subjects import Subject
from gatehouse.domain.transforms import TransformContext
from gatehouse.domain.views import ViewClosed, ViewSource, build_recipient_fields, close_reason
from gatehouse.services.abuse import check_scraping
from gatehouse.services.orders import sealed_contents
from gatehouse.services.paging import split_page
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.subjects import open_pii, subject_cipher
from gatehouse.services.unit_of_work import UnitOfWork
from gatehouse.services.view_closing import close_view_in
from gatehouse.store.records import StoredView

__all__ = ["RecipientView", "StoredView", "read_view", "list_views"]


@dataclass(frozen=True)
class RecipientView:
    """The minimised, transformed data a recipient may see for one transfer."""

    transfer_id: str
    order_ref: str
    items: list[dict[str, object]]
    recipient_fields: dict[str, object]
    expires_at: datetime


def _closing_reason(
    gh: Gatehouse, uow: UnitOfWork, view: StoredView, subject: Subject, now: datetime
) -> str | None:
    if view.closed_at is not None:
        return str(view.close_reason)
    recipient = uow.recipients.get(view.recipient_id)
    assert recipient is not None
    reason = close_reason(
        gh.packs.by_id(subject.rule_pack).views,
        now=now,
        opened_at=view.opened_at,
        expires_at=view.expires_at,
        delivered_at=view.delivered_at,
        order_cancelled=view.order_status == "cancelled",
        recipient_suspended=recipient.status is RecipientStatus.SUSPENDED,
        country_suspended=bool(recipient.country)
        and recipient.country in uow.recipients.suspended_countries(),
        subject_deleted=subject.deleted,
    )
    if reason is not None:
        # First reader to notice closes it, so the closing is logged even if no sweep ran.
        close_view_in(gh, uow, view, reason, now)
        return reason.value
    return None


def read_view(gh: Gatehouse, recipient_id: str, transfer_id: str) -> RecipientView:
    """The view for the calling recipient; 404 if it is not theirs, 410 once closed.

    One transaction: the read, its ledger entry and a scraping flag commit together. A denial
    or a closing noticed here commits too, and only then is it raised.
    """
    now = gh.clock()
    refused: GatehouseError
    with gh.unit_of_work() as uow:
        view = uow.transfers.view(transfer_id)
        if view is None or view.recipient_id != recipient_id:
            # Another recipient's id is indistinguishable from a missing one, but it is logged.
            uow.ledger.append(
                kind="view.denied",
                at=now,
                subject_id=None,
                recipient_id=recipient_id,
                payload={"transfer_id": transfer_id[:64]},
            )
            refused = NotFound(f"no transfer with id {transfer_id!r}", code="transfer_not_found")
        else:
            subject = uow.subjects.get(view.subject_id)
            assert subject is not None
            closed = _closing_reason(gh, uow, view, subject, now)
            if closed is None:
                result = _build(gh, uow, view, subject)
                uow.ledger.append(
                    kind="view.read",
                    at=now,
                    subject_id=view.subject_id,
                    recipient_id=recipient_id,
                    payload={"transfer_id": transfer_id, "fields": sorted(result.recipient_fields)},
                )
                check_scraping(gh, uow, recipient_id, now)
                return result
            refused = ViewClosed(
                f"the view of transfer {transfer_id} is closed: {closed}",
                details={"transfer_id": transfer_id, "reason": closed},
            )
    raise refused


def _build(gh: Gatehouse, uow: UnitOfWork, view: StoredView, subject: Subject) -> RecipientView:
    pii = open_pii(gh, uow.subjects, view.subject_id)
    order = uow.orders.get(view.order_id)
    cipher = subject_cipher(gh, uow.subjects, view.subject_id)
    assert order is not None and cipher is not None
    items, note = sealed_contents(cipher, uow.subjects, order)
    purpose = gh.packs.by_id(subject.rule_pack).purposes[view.purpose]
    safe = view.safe_number
    ctx = TransformContext(
        customs_required=bool(view.customs_required),
        safe_number=(lambda _real: safe) if safe else None,
    )
    fields = build_recipient_fields(
        purpose,
        ViewSource(
            name=pii.name,
            phone=pii.phone,
            address=pii.address,
            delivery_note=note,
            customs_code=pii.customs_code,
        ),
        ctx,
        confirmed=view.confirmed_at is not None,
    )
    return RecipientView(view.transfer_id, view.external_ref, items, fields, view.expires_at)


def list_views(
    gh: Gatehouse, recipient_id: str, *, only_open: bool, after: str | None, limit: int
) -> tuple[list[StoredView], str | None]:
    """The recipient's transfers (ids and windows only: the data itself is read one by one)."""
    with gh.unit_of_work(read_only=True) as uow:
        page = uow.transfers.views_of_recipient(
            recipient_id, open_at=gh.clock() if only_open else None, after=after, limit=limit + 1
        )
    return split_page(page, limit, lambda view: view.transfer_id)
