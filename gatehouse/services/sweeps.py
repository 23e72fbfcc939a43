"""Periodic sweeps the worker runs: expired views, overdue erasures, expired retention records."""

from __future__ import annotations

from gatehouse.domain.views import close_reason
from gatehouse.services.erasures import escalate_overdue
from gatehouse.services.outbox import Job, handler
from gatehouse.services.retention import destroy_expired
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.view_closing import close_view_in

__all__ = ["sweep_views", "escalate_overdue", "destroy_expired"]


def sweep_views(gh: Gatehouse) -> int:
    """Close every view whose window has ended, so the closing is logged even if nobody reads."""
    now = gh.clock()
    closed = 0
    with gh.unit_of_work() as uow:
        # By subject, the order the ledger asks of a transaction that appends for several.
        expired = uow.transfers.expired_open_views(now)
        for view in sorted(expired, key=lambda v: (v.subject_id, v.transfer_id)):
            order = uow.orders.get(view.order_id)
            subject = uow.subjects.get(view.subject_id)
            assert order is not None and subject is not None
            reason = close_reason(
                gh.packs.by_id(subject.rule_pack).views,
                now=now,
                opened_at=view.opened_at,
                expires_at=view.expires_at,
                delivered_at=order.delivered_at,
                order_cancelled=False,
                recipient_suspended=False,
                country_suspended=False,
                subject_deleted=False,
            )
            assert reason is not None  # the query only returns expired views
            closed += close_view_in(gh, uow, view, reason, now)
    return closed


@handler("views.sweep")
def _sweep_views(gh: Gatehouse, job: Job) -> None:
    """Close views whose window ended."""
    sweep_views(gh)


@handler("erasures.escalate")
def _escalate(gh: Gatehouse, job: Job) -> None:
    """Escalate erasure requests past their deadline."""
    escalate_overdue(gh)


@handler("retention.sweep")
def _destroy(gh: Gatehouse, job: Job) -> None:
    """Destroy retention records past their statutory date."""
    destroy_expired(gh)
