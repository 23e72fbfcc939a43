"""In-memory orders, transfer decisions, views, safe numbers and erasure requests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from gatehouse.services.ports import DuplicateKey
from gatehouse.store.records import (
    DecisionRead,
    Deletion,
    ErasureRequest,
    Held,
    OpenView,
    StoredOrder,
    StoredTransfer,
    StoredView,
    TransferDecision,
)
from gatehouse.store.transfer_totals import items_text
from tests.support.fake_registries import consent_history
from tests.support.fake_tables import FakeRepository, Tables

__all__ = [
    "FakeOrders",
    "FakeTransfers",
    "FakeSafeNumbers",
    "FakeErasures",
    "FakeDashboard",
    "count_allowed_in",
    "widen_window_in",
]


def count_allowed_in(tables: Tables, transfer: StoredTransfer) -> None:
    """Add an allowed transfer to its subject's totals, as the upsert does."""
    key = (
        transfer.subject_id,
        transfer.recipient_id,
        transfer.country or "",
        transfer.purpose,
        transfer.basis or "",
        items_text(transfer.fields),
    )
    count, last_at = tables.transfer_totals.get(key, (0, transfer.decided_at))
    tables.transfer_totals[key] = (count + 1, max(last_at, transfer.decided_at))


def widen_window_in(tables: Tables, view: OpenView) -> None:
    """Reach the view's (subject, recipient) window to its expiry."""
    key = (view.subject_id, view.recipient_id)
    until = tables.view_windows.get(key)
    tables.view_windows[key] = view.expires_at if until is None else max(until, view.expires_at)


def _recompute_window(tables: Tables, transfer_id: str) -> None:
    pair = tables.views[transfer_id]
    ends = [
        tables.closed_views[tid][0] if tid in tables.closed_views else view.expires_at
        for tid, view in tables.views.items()
        if (view.subject_id, view.recipient_id) == (pair.subject_id, pair.recipient_id)
    ]
    tables.view_windows[(pair.subject_id, pair.recipient_id)] = max(ends)


class FakeOrders(FakeRepository):
    def add(self, order: StoredOrder) -> None:
        self._hook("add")
        clash = any(
            o.recipient_id == order.recipient_id and o.external_ref == order.external_ref
            for o in self.t.orders.values()
        )
        if order.id in self.t.orders or clash:
            raise DuplicateKey(f"order {order.id} or its external_ref exists")
        self.t.orders[order.id] = order

    def get(self, order_id: str, *, lock: bool = False) -> StoredOrder | None:
        return self.t.orders.get(order_id)

    def for_decision(self, order_ids: Sequence[str]) -> dict[str, DecisionRead]:
        found = {}
        for order_id in order_ids:
            order = self.t.orders.get(order_id)
            subject = None if order is None else self.t.subjects.get(order.subject_id)
            if order is not None and subject is not None:
                history = tuple(consent_history(self.t, subject.id))
                found[order_id] = DecisionRead(order=order, subject=subject, consents=history)
        return found

    def of_subject(self, subject_id: str) -> list[StoredOrder]:
        mine = [o for o in self.t.orders.values() if o.subject_id == subject_id]
        return sorted(mine, key=lambda o: (o.created_at, o.id))

    def record_event(
        self, subject_id: str, order_id: str, event: str, at: datetime, **changes: Any
    ) -> None:
        self._hook("record_event")
        assert self.t.orders[order_id].subject_id == subject_id, "the order is the subject's"
        self.t.order_events.append((order_id, event, at))
        self.t.orders[order_id] = replace(self.t.orders[order_id], **changes)


class FakeTransfers(FakeRepository):
    def add_transfers(self, decided: Sequence[StoredTransfer]) -> None:
        self._hook("add_transfers")
        for transfer in decided:
            if transfer.id in self.t.transfers:
                raise DuplicateKey(f"transfer {transfer.id} exists")
            self.t.transfers[transfer.id] = transfer
            if transfer.allowed:
                count_allowed_in(self.t, transfer)

    def add_views(self, opened: Sequence[OpenView]) -> None:
        self._hook("add_views")
        for view in opened:
            if view.transfer_id in self.t.views:
                raise DuplicateKey(f"view {view.transfer_id} exists")
            self.t.views[view.transfer_id] = view
            widen_window_in(self.t, view)

    def _stored(self, view: OpenView) -> StoredView:
        order = self.t.orders[view.order_id]
        closed = self.t.closed_views.get(view.transfer_id)
        return StoredView(
            **vars(view),
            closed_at=closed[0] if closed else None,
            close_reason=closed[1] if closed else None,
            external_ref=order.external_ref,
            customs_required=order.customs_required,
            delivered_at=order.delivered_at,
            confirmed_at=order.confirmed_at,
            order_status=order.status,
        )

    def view(self, transfer_id: str) -> StoredView | None:
        view = self.t.views.get(transfer_id)
        return None if view is None else self._stored(view)

    def views_of_recipient(
        self, recipient_id: str, *, open_at: datetime | None, after: str | None, limit: int
    ) -> list[StoredView]:
        chosen = [
            self._stored(view)
            for tid, view in sorted(self.t.views.items())
            if view.recipient_id == recipient_id
            and (after is None or tid > after)
            and (open_at is None or (tid not in self.t.closed_views and view.expires_at > open_at))
        ]
        return chosen[:limit]

    def open_views(
        self,
        *,
        subject_id: str | None = None,
        recipient_id: str | None = None,
        order_id: str | None = None,
        consent_notice: str | None = None,
    ) -> list[OpenView]:
        wanted = {
            "subject_id": subject_id,
            "recipient_id": recipient_id,
            "order_id": order_id,
            "consent_notice": consent_notice,
        }
        return [
            view
            for tid, view in sorted(self.t.views.items())
            if tid not in self.t.closed_views
            and all(v is None or getattr(view, k) == v for k, v in wanted.items())
        ]

    def open_views_in_country(self, country: str) -> list[OpenView]:
        return [
            view
            for view in self.open_views()
            if self.t.recipients[view.recipient_id].country == country
        ]

    def expired_open_views(self, now: datetime, limit: int = 1000) -> list[OpenView]:
        return [view for view in self.open_views() if view.expires_at <= now][:limit]

    def close_views(self, transfer_ids: Sequence[str], reason: str, at: datetime) -> set[str]:
        self._hook("close_views")
        closed = set()
        for transfer_id in transfer_ids:
            if transfer_id in self.t.views and transfer_id not in self.t.closed_views:
                self.t.closed_views[transfer_id] = (at, reason)
                _recompute_window(self.t, transfer_id)
                closed.add(transfer_id)
        return closed

    def set_expiry(self, transfer_id: str, expires_at: datetime) -> None:
        self._hook("set_expiry")
        if transfer_id in self.t.views and transfer_id not in self.t.closed_views:
            self.t.views[transfer_id] = replace(self.t.views[transfer_id], expires_at=expires_at)
            _recompute_window(self.t, transfer_id)

    def belongs_to(self, transfer_id: str, subject_id: str) -> bool:
        decision = self.t.transfers.get(transfer_id)
        return decision is not None and decision.subject_id == subject_id

    def decisions_of(self, subject_id: str) -> list[TransferDecision]:
        mine = sorted(
            (d for d in self.t.transfers.values() if d.subject_id == subject_id),
            key=lambda d: (d.decided_at, d.id),
        )
        return [self._with_view(d) for d in mine]

    def _with_view(self, transfer: StoredTransfer) -> TransferDecision:
        view = self.t.views.get(transfer.id)
        recipient = self.t.recipients.get(transfer.recipient_id)
        closed = self.t.closed_views.get(transfer.id)
        return TransferDecision(
            **vars(transfer),
            recipient_name=recipient.legal_name if recipient else None,
            view_expires_at=view.expires_at if view else None,
            view_closed_at=closed[0] if closed else None,
        )

    def held_by_views(self, transfer_ids: Iterable[str]) -> list[Held]:
        views = (self.t.views[tid] for tid in set(transfer_ids) if tid in self.t.views)
        return sorted(
            (v.recipient_id, v.transfer_id, self.t.orders[v.order_id].external_ref) for v in views
        )

    def held_by_transfers(self, subject_id: str) -> list[Held]:
        allowed = (d for d in self.t.transfers.values() if d.subject_id == subject_id and d.allowed)
        return sorted(
            (d.recipient_id, d.id, self.t.orders[d.order_id].external_ref) for d in allowed
        )

    def list_transfers(
        self,
        *,
        recipient_id: str | None,
        subject_id: str | None,
        country: str | None,
        since: datetime | None,
        after: str | None,
        limit: int,
    ) -> list[StoredTransfer]:
        chosen = [
            t
            for tid, t in sorted(self.t.transfers.items())
            if (recipient_id is None or t.recipient_id == recipient_id)
            and (subject_id is None or t.subject_id == subject_id)
            and (country is None or t.country == country)
            and (since is None or t.decided_at >= since)
            and (after is None or tid > after)
        ]
        return chosen[:limit]


class FakeSafeNumbers(FakeRepository):
    def lease_many(self, wanted: Mapping[str, Sequence[str]], at: datetime) -> dict[str, str]:
        self._hook("lease_many")
        leased = {}
        for transfer_id, candidates in wanted.items():
            number = self.lease(candidates, transfer_id, at)
            if number is not None:
                leased[transfer_id] = number
        return leased

    def lease(self, candidates: Sequence[str], transfer_id: str, at: datetime) -> str | None:
        self._hook("lease")
        resting = {tid: until for tid, _, until in self.t.released_numbers}
        for number in candidates:
            holder = self.t.leased_numbers.get(number)
            # Free when never leased, or released by its holder and rested long enough.
            if holder is None or (holder in resting and resting[holder] <= at):
                self.t.leased_numbers[number] = transfer_id
                return number
        return None

    def release_many(
        self, transfer_ids: Sequence[str], at: datetime, reusable_after: datetime
    ) -> None:
        self._hook("release_many")
        for transfer_id in transfer_ids:
            self.t.released_numbers.append((transfer_id, at, reusable_after))


def _status_matches(request: ErasureRequest, status: str | None, now: datetime | None) -> bool:
    if status == "acknowledged":
        return request.acknowledged_at is not None
    if status == "pending":
        return request.acknowledged_at is None
    if status == "overdue":
        return request.acknowledged_at is None and (now is None or request.due_at <= now)
    return True


class FakeErasures(FakeRepository):
    def add_requests(self, requests: Sequence[ErasureRequest]) -> None:
        self._hook("add_requests")
        for request in requests:
            self._add_request(request)

    def _add_request(self, request: ErasureRequest) -> None:
        if request.id in self.t.erasures:
            raise DuplicateKey(f"erasure {request.id} exists")
        self.t.erasures[request.id] = replace(
            request,
            transfer_ids=list(request.transfer_ids),
            order_refs=list(request.order_refs),
            acknowledged_at=None,
            attestation=None,
            escalated_at=None,
        )

    def request(self, erasure_id: str) -> ErasureRequest | None:
        return self.t.erasures.get(erasure_id)

    def requests(
        self,
        *,
        recipient_id: str | None = None,
        deletion_id: str | None = None,
        status: str | None = None,
        now: datetime | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[ErasureRequest]:
        chosen = [
            r
            for rid, r in sorted(self.t.erasures.items())
            if (recipient_id is None or r.recipient_id == recipient_id)
            and (deletion_id is None or r.deletion_id == deletion_id)
            and _status_matches(r, status, now)
            and (after is None or rid > after)
        ]
        return chosen[:limit]

    def outstanding(self, *, now: datetime, overdue: bool, limit: int) -> list[ErasureRequest]:
        chosen = [
            r
            for r in self.t.erasures.values()
            if r.acknowledged_at is None and (r.due_at <= now) == overdue
        ]
        return sorted(chosen, key=lambda r: (r.due_at, r.id))[:limit]

    def acknowledge(self, erasure_id: str, attestation: str | None, at: datetime) -> bool:
        self._hook("acknowledge")
        found = self.t.erasures.get(erasure_id)
        if found is None or found.acknowledged_at is not None:
            return False
        self.t.erasures[erasure_id] = replace(found, acknowledged_at=at, attestation=attestation)
        return True

    def overdue_counts(self, recipient_ids: Sequence[str], now: datetime) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.t.erasures.values():
            if r.recipient_id in recipient_ids and r.acknowledged_at is None and r.due_at <= now:
                counts[r.recipient_id] = counts.get(r.recipient_id, 0) + 1
        return counts

    def open_dues(self, recipient_id: str) -> list[datetime]:
        return sorted(
            r.due_at
            for r in self.t.erasures.values()
            if r.recipient_id == recipient_id and r.acknowledged_at is None
        )

    def unescalated_overdue(self, now: datetime, limit: int = 500) -> list[ErasureRequest]:
        chosen = [
            r
            for _, r in sorted(self.t.erasures.items())
            if r.acknowledged_at is None and r.due_at <= now and r.escalated_at is None
        ]
        return chosen[:limit]

    def mark_escalated(self, erasure_id: str, at: datetime) -> bool:
        self._hook("mark_escalated")
        found = self.t.erasures.get(erasure_id)
        if found is None or found.escalated_at is not None:
            return False
        self.t.erasures[erasure_id] = replace(found, escalated_at=at)
        return True

    def deletion(self, deletion_id: str) -> Deletion | None:
        return self.t.deletions.get(deletion_id)


class FakeDashboard(FakeRepository):
    def refusals_by_reason(self) -> dict[str | None, int]:
        counted: dict[str | None, int] = {}
        for t in self.t.transfers.values():
            if not t.allowed:
                counted[t.refusal] = counted.get(t.refusal, 0) + 1
        return counted

    def allowed_by_country(self) -> dict[str | None, int]:
        counted: dict[str | None, int] = {}
        for t in self.t.transfers.values():
            if t.allowed:
                counted[t.country] = counted.get(t.country, 0) + 1
        return counted
