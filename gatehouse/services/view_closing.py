"""Closing views: one place that marks them closed, logs it and frees the safe number."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row

from gatehouse.domain.views import CloseReason
from gatehouse.services import ledger
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.orders import SafeNumberPool, TransferRepository
from gatehouse.store.subjects import SubjectRepository

__all__ = ["close_views", "close_view"]


def close_view(
    gh: Gatehouse,
    connection: Connection,
    view: Row[Any],
    reason: CloseReason | str,
    at: datetime,
) -> bool:
    """Close one view inside the caller's transaction; False if it was closed already."""
    if not TransferRepository(connection).close_view(view.transfer_id, str(reason), at):
        return False
    pack_views = gh.packs.by_id(_pack_of(connection, view.subject_id, gh)).views
    SafeNumberPool(connection).release(
        view.transfer_id, at, at + timedelta(days=pack_views.safe_number_cooldown_days)
    )
    ledger.append(
        connection,
        kind="view.closed",
        at=at,
        subject_id=view.subject_id,
        recipient_id=view.recipient_id,
        payload={"transfer_id": view.transfer_id, "reason": str(reason)},
    )
    return True


def close_views(
    gh: Gatehouse,
    connection: Connection,
    views: Iterable[Row[Any]],
    reason: CloseReason | str,
    at: datetime,
) -> int:
    """Close several views; returns how many were still open."""
    return sum(close_view(gh, connection, view, reason, at) for view in views)


def _pack_of(connection: Connection, subject_id: str, gh: Gatehouse) -> str:
    subject = SubjectRepository(connection).get(subject_id)
    return subject.rule_pack if subject is not None else gh.packs.ids()[0]
