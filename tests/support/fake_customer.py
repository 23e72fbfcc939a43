"""In-memory repositories of the customer's side (see :mod:`tests.support.fakes`)."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from gatehouse.domain.requests import RequestType
from gatehouse.domain.subjects import Subject
from gatehouse.services.ports import DuplicateKey
from gatehouse.store.customer_sessions import CustomerSession
from gatehouse.store.customer_transfers import RecipientWindow, TransferGroup, TransferListing
from gatehouse.store.operator_events import SealedEvent
from gatehouse.store.records import Deletion, StoredTransfer
from gatehouse.store.retention_records import RetentionRecord
from tests.support.fake_tables import FakeRepository

__all__ = [
    "FakeCustomerSessions",
    "FakeCustomerTransfers",
    "FakeRetentionDates",
    "FakeRetentionRecords",
    "FakeDeletions",
    "FakeOperatorEvents",
]


class FakeCustomerSessions(FakeRepository):
    def add(self, session: CustomerSession) -> None:
        self._hook("add")
        sessions = self.t.customer_sessions
        if session.id in sessions or self.find(session.token_hash) is not None:
            raise DuplicateKey(f"customer session {session.id} or its token exists")
        sessions[session.id] = session

    def find(self, token_hash: str) -> CustomerSession | None:
        found = (s for s in self.t.customer_sessions.values() if s.token_hash == token_hash)
        return next(found, None)

    def spend(self, session_id: str, at: datetime) -> bool:
        self._hook("spend")
        session = self.t.customer_sessions.get(session_id)
        if session is None or session.used_at is not None:
            return False
        self.t.customer_sessions[session_id] = replace(session, used_at=at)
        return True

    def slide(self, session_id: str, idle_expires_at: datetime) -> bool:
        self._hook("slide")
        session = self.t.customer_sessions.get(session_id)
        if session is None or session.revoked_at is not None:
            return False
        self.t.customer_sessions[session_id] = replace(session, idle_expires_at=idle_expires_at)
        return True

    def revoke(self, token_hash: str, at: datetime) -> bool:
        self._hook("revoke")
        session = self.find(token_hash)
        if session is None or session.revoked_at is not None:
            return False
        self.t.customer_sessions[session.id] = replace(session, revoked_at=at)
        return True

    def revoke_subject(self, subject_id: str, at: datetime) -> int:
        self._hook("revoke_subject")
        live = [
            s
            for s in self.t.customer_sessions.values()
            if s.subject_id == subject_id and s.revoked_at is None and s.expires_at > at
        ]
        for session in live:
            self.t.customer_sessions[session.id] = replace(session, revoked_at=at)
        return len(live)

    def purge_expired(self, now: datetime) -> int:
        self._hook("purge_expired")
        gone = [sid for sid, s in self.t.customer_sessions.items() if s.expires_at <= now]
        for sid in gone:
            del self.t.customer_sessions[sid]
        return len(gone)


class FakeCustomerTransfers(FakeRepository):
    def _allowed(self, subject_id: str) -> list[StoredTransfer]:
        return [t for t in self.t.transfers.values() if t.subject_id == subject_id and t.allowed]

    def page(
        self,
        subject_id: str,
        *,
        before: tuple[datetime, str] | None,
        limit: int,
        transfer_id: str | None = None,
    ) -> list[TransferListing]:
        chosen = sorted(self._allowed(subject_id), key=lambda t: (t.decided_at, t.id), reverse=True)
        if transfer_id is not None:
            chosen = [t for t in chosen if t.id == transfer_id]
        if before is not None:
            chosen = [t for t in chosen if (t.decided_at, t.id) < before]
        return [self._listing(t) for t in chosen[:limit]]

    def _listing(self, t: StoredTransfer) -> TransferListing:
        view = self.t.views.get(t.id)
        closed_at, reason = self.t.closed_views.get(t.id, (None, None))
        return TransferListing(
            id=t.id,
            order_id=t.order_id,
            order_ref=self.t.orders[t.order_id].external_ref,
            recipient_id=t.recipient_id,
            country=t.country,
            purpose=t.purpose,
            flow=t.flow,
            basis=t.basis,
            notice_hash=t.notice_hash,
            fields=list(t.fields),
            decided_at=t.decided_at,
            view_expires_at=view.expires_at if view else None,
            view_closed_at=closed_at,
            close_reason=reason,
        )

    def count_by_country(self, subject_id: str) -> dict[str | None, int]:
        counts: dict[str | None, int] = {}
        for t in self._allowed(subject_id):
            counts[t.country] = counts.get(t.country, 0) + 1
        return counts

    def order_refs(self, subject_id: str, transfer_ids: Collection[str]) -> dict[str, str]:
        return {
            tid: self.t.orders[t.order_id].external_ref
            for tid in transfer_ids
            if (t := self.t.transfers.get(tid)) is not None and t.subject_id == subject_id
        }

    def groups(self, subject_id: str) -> list[TransferGroup]:
        return [
            TransferGroup(
                recipient_id=recipient_id,
                country=country or None,
                purpose=purpose,
                basis=basis or None,
                fields=list(json.loads(items)),
                transfers=count,
                last_at=last_at,
            )
            for (subject, recipient_id, country, purpose, basis, items), (
                count,
                last_at,
            ) in self.t.transfer_totals.items()
            if subject == subject_id
        ]

    def windows(self, subject_id: str, now: datetime) -> dict[str, RecipientWindow]:
        return {
            recipient_id: RecipientWindow(recipient_id, until, until > now)
            for (subject, recipient_id), until in self.t.view_windows.items()
            if subject == subject_id
        }


def _latest(values: list[datetime | None]) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


class FakeRetentionDates(FakeRepository):
    def latest_order_dates(
        self, subject_id: str
    ) -> list[tuple[datetime, datetime | None, datetime | None]]:
        groups: dict[tuple[bool, bool], list[Any]] = {}
        for o in self.t.orders.values():
            if o.subject_id == subject_id:
                key = (o.delivered_at is None, o.cancelled_at is None)
                groups.setdefault(key, []).append(o)
        return [
            (
                max(o.created_at for o in orders),
                _latest([o.delivered_at for o in orders]),
                _latest([o.cancelled_at for o in orders]),
            )
            for orders in groups.values()
        ]

    def latest_complaint_dates(self, subject_id: str) -> list[tuple[datetime, datetime | None]]:
        groups: dict[bool, list[Any]] = {}
        for stored in self.t.requests.values():
            request = stored.request
            if request.subject_id == subject_id and request.type is RequestType.COMPLAINT:
                groups.setdefault(request.resolution is not None, []).append(request)
        return [
            (
                max(r.deadline.created_at for r in requests),
                _latest([r.resolution.resolved_at if r.resolution else None for r in requests]),
            )
            for requests in groups.values()
        ]


class FakeRetentionRecords(FakeRepository):
    def add_many(self, records: Sequence[RetentionRecord]) -> None:
        self._hook("add_many")
        for record in records:
            if record.id in self.t.retention_records:
                raise DuplicateKey(f"retention record {record.id} exists")
            self.t.retention_records[record.id] = record

    def for_deletion(self, deletion_id: str) -> list[RetentionRecord]:
        return [
            r for _, r in sorted(self.t.retention_records.items()) if r.deletion_id == deletion_id
        ]

    def due_for_destruction(self, now: datetime, limit: int = 500) -> list[RetentionRecord]:
        due = [
            r
            for _, r in sorted(self.t.retention_records.items())
            if r.destroyed_at is None and r.kept_until <= now
        ]
        return due[:limit]

    def destroy(self, record_id: str, at: datetime) -> bool:
        self._hook("destroy")
        record = self.t.retention_records.get(record_id)
        if record is None or record.destroyed_at is not None:
            return False
        self.t.retention_records[record_id] = replace(
            record, destroyed_at=at, kek_id=None, wrapped_key=None, ciphertext=None
        )
        return True


class FakeDeletions(FakeRepository):
    def lock_subject(self, subject_id: str) -> Subject | None:
        return self.t.subjects.get(subject_id)

    def add(self, deletion: Deletion) -> None:
        self._hook("add")
        taken = any(d.subject_id == deletion.subject_id for d in self.t.deletions.values())
        if deletion.id in self.t.deletions or taken:
            raise DuplicateKey(f"deletion {deletion.id} or one of its subject exists")
        self.t.deletions[deletion.id] = replace(deletion, receipt=dict(deletion.receipt))

    def set_receipt(self, deletion_id: str, receipt: Mapping[str, Any]) -> None:
        self._hook("set_receipt")
        deletion = self.t.deletions[deletion_id]
        self.t.deletions[deletion_id] = replace(deletion, receipt=dict(receipt))

    def shred(self, subject_id: str, at: datetime) -> None:
        self._hook("shred")
        t = self.t
        t.keys.pop(subject_id, None)
        for key in [k for k in t.ciphertexts if k[0] == subject_id]:
            del t.ciphertexts[key]
        for key in [k for k in t.indexes if k[0] == subject_id]:
            del t.indexes[key]
        t.subjects[subject_id] = replace(t.subjects[subject_id], deleted_at=at)
        t.external_refs[subject_id] = hashlib.sha256(secrets.token_bytes(32)).hexdigest()


class FakeOperatorEvents(FakeRepository):
    def webhook_set(self) -> bool:
        return self.t.operator_webhook is not None

    def enqueue(self, event: SealedEvent) -> str:
        self._hook("enqueue")
        if event.id in self.t.operator_events:
            raise DuplicateKey(f"operator event {event.id} exists")
        # As the table stores it; the worker's delivery job is not modelled here.
        self.t.operator_events[event.id] = {
            "id": event.id,
            "event_type": event.event_type,
            "deletion_id": event.deletion_id,
            "kek_id": event.key.kek_id,
            "wrapped_key": event.key.blob,
            "ciphertext": event.ciphertext,
            "created_at": event.created_at,
            "delivered_at": None,
        }
        return f"job_{event.id}"
