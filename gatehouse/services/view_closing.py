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
    return close_views_in(gh, uow, [view], reason, at) == 1


def close_views_in(
    gh: Gatehouse,
    uow: UnitOfWork,
    views: Iterable[ViewRef],
    reason: CloseReason | str,
    at: datetime,
) -> int:
    """Close several views inside the caller's unit of work; returns how many were open.

    The same as closing each with :func:`close_view_in`, in a number of statements that does
    not grow with the views: one closing, one recomputing of windows, one release of numbers
    per rule pack; only the ledger's entries are one each.
    """
    wanted = {view.transfer_id: view for view in views}
    closed = uow.transfers.close_views(sorted(wanted), str(reason), at)
    if not closed:
        return 0
    packs: dict[str, list[str]] = {}
    subjects: dict[str, str] = {}
    for transfer_id in sorted(closed):
        subject_id = wanted[transfer_id].subject_id
        if subject_id not in subjects:
            subject = uow.subjects.get(subject_id)
            subjects[subject_id] = subject.rule_pack if subject is not None else gh.packs.ids()[0]
        packs.setdefault(subjects[subject_id], []).append(transfer_id)
    for pack_id, transfer_ids in packs.items():
        cooldown = timedelta(days=gh.packs.by_id(pack_id).views.safe_number_cooldown_days)
        uow.safe_numbers.release_many(transfer_ids, at, at + cooldown)
    for transfer_id in sorted(closed):
        view = wanted[transfer_id]
        uow.ledger.append(
            kind="view.closed",
            at=at,
            subject_id=view.subject_id,
            recipient_id=view.recipient_id,
            payload={"transfer_id": view.transfer_id, "reason": str(reason)},
        )
    return len(closed)
