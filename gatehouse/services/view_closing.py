"""Closing views: one place that marks them closed, logs it and frees the safe number."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

from gatehouse.domain.views import CloseReason
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.unit_of_work import UnitOfWork

__all__ = ["ViewRef", "close_views_in", "close_view_in"]


class ViewRef(Protocol):
    """What closing needs to know of a view (an ``OpenView`` or a ``StoredView``)."""

    @property
    def transfer_id(self) -> str: ...

    @property
    def subject_id(self) -> str: ...

    @property
    def recipient_id(self) -> str: ...


def close_view_in(
    gh: Gatehouse, uow: UnitOfWork, view: ViewRef, reason: CloseReason | str, at: datetime
) -> bool:
    """Close one view inside the caller's unit of work; False if it was closed already."""
    if not uow.transfers.close_view(view.transfer_id, str(reason), at):
        return False
    subject = uow.subjects.get(view.subject_id)
    pack = gh.packs.by_id(subject.rule_pack if subject is not None else gh.packs.ids()[0])
    uow.safe_numbers.release(
        view.transfer_id, at, at + timedelta(days=pack.views.safe_number_cooldown_days)
    )
    uow.ledger.append(
        kind="view.closed",
        at=at,
        subject_id=view.subject_id,
        recipient_id=view.recipient_id,
        payload={"transfer_id": view.transfer_id, "reason": str(reason)},
    )
    return True


def close_views_in(
    gh: Gatehouse,
    uow: UnitOfWork,
    views: Iterable[ViewRef],
    reason: CloseReason | str,
    at: datetime,
) -> int:
    """Close several views inside the caller's unit of work; returns how many were open."""
    return sum(close_view_in(gh, uow, view, reason, at) for view in views)
