"""A ledger of audit entries made in memory, and a busy quarter of every kind the audit's fold
judges: shared by the tests of the fold and of the settled audit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from gatehouse.domain.audit_fold import AuditFold, BasisRules
from gatehouse.domain.audit_listing import AuditRules
from gatehouse.domain.suspension_spans import SUSPENSION_KINDS, SuspensionSpans

__all__ = [
    "BASES",
    "END",
    "KNOWN_NOTICE",
    "START",
    "Entry",
    "Ledger",
    "at",
    "busy_quarter",
    "fold_of",
    "spans_until",
]

START = datetime(2026, 7, 1, tzinfo=UTC)
END = datetime(2026, 10, 1, tzinfo=UTC)
KNOWN_NOTICE = "a" * 64


@dataclass(frozen=True)
class Entry:
    shard: int
    seq: int
    kind: str
    at: datetime
    recipient_id: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
    entry_hash: str = "f" * 64


class Ledger:
    """Entries numbered as they are made, all on one shard."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def add(
        self, entry_kind: str, when: datetime, recipient_id: str | None = None, /, **payload: Any
    ) -> None:
        self.entries.append(Entry(0, len(self.entries), entry_kind, when, recipient_id, payload))

    def transfer(self, at: datetime, basis: str | None, **extra: Any) -> None:
        payload = {
            "transfer_id": f"trf_{len(self.entries)}",
            "country": "US",
            "basis": basis,
            "notice_hash": KNOWN_NOTICE if basis == "SEPARATE_CONSENT" else None,
        }
        payload.update(extra)
        self.add("transfer.allowed", at, "rcp_us", **payload)


def at(days: float) -> datetime:
    return START + timedelta(days=days)


def busy_quarter() -> Ledger:
    """Entries of every kind the fold judges, with duties that open on one day and close on
    another, and a suspension that spans days."""
    ledger = Ledger()
    ledger.add("recipient.suspended", at(10.5), "rcp_us", target="rcp_us")
    ledger.add("recipient.resumed", at(14.5), "rcp_us", target="rcp_us")
    for day in range(0, 90, 1):
        basis = (None, "SEPARATE_CONSENT", "CONTRACT_ENTRUST_STORE")[day % 3]
        ledger.transfer(at(day + 0.25), basis, flow="provision", country=("US", "CN")[day % 2])
        ledger.add("transfer.refused", at(day + 0.5), "rcp_wh", refusal="no_basis", country="SG")
        ledger.add(
            "request.created",
            at(day + 0.75),
            request_id=f"req_{day}",
            type="access",
            due_at=at(day + 10).isoformat(),
        )
        if day % 2:
            ledger.add(
                "request.resolved",
                at(day + 0.75 + day % 20),
                request_id=f"req_{day}",
                type="access",
                due_at=at(day + 10).isoformat(),
            )
        if day % 5 == 0:
            ledger.add(
                "subject.deleted",
                at(day + 0.1),
                deletion_id=f"del_{day}",
                erasure_ids=[f"era_{day}_a", f"era_{day}_b"],
            )
            ledger.add(
                "erasure.acknowledged", at(day + 3), "rcp_us", erasure_id=f"era_{day}_a", late=False
            )
        if day % 7 == 0:
            ledger.add(
                "incident.opened",
                at(day + 0.2),
                incident_id=f"inc_{day}",
                kind="hacking",
                notify_by=at(day + 3).isoformat(),
                report_required=day % 14 == 0,
            )
            if day % 14:
                ledger.add(
                    "incident.step", at(day + 1), incident_id=f"inc_{day}", step="subjects_notified"
                )
        ledger.add(
            "consent.granted",
            at(day + 0.3),
            consent_id=f"con_{day}",
            purpose="overseas_transfer",
            notice_hash=KNOWN_NOTICE if day % 4 else "",
        )
    ledger.entries.append(
        Entry(1, 0, "policy.published", at(30), None, {"version": 2, "content_hash": "c" * 64})
    )
    return ledger


def spans_until(entries: list[Entry], end: datetime) -> SuspensionSpans:
    """The suspensions a report of a window ending at ``end`` replays."""
    spans = SuspensionSpans()
    for entry in sorted(entries, key=lambda e: e.at):
        if entry.kind in SUSPENSION_KINDS and entry.at < end:
            target_type, suspended = SUSPENSION_KINDS[entry.kind]
            spans.add((target_type, entry.payload["target"]), suspended, entry.at)
    return spans


def fold_of(
    entries: list[Entry], start: datetime, end: datetime, spans: SuspensionSpans, **rules: Any
) -> AuditFold:
    result = AuditFold(
        start,
        end,
        spans,
        lambda h: h == KNOWN_NOTICE,
        AuditRules(**rules),
        bases=BASES,
        kind_of={"rcp_us": "seller", "rcp_wh": "storage"}.get,
    )
    for entry in entries:
        if start <= entry.at < end:
            result.add(entry)
    return result


BASES: BasisRules = {
    "SEPARATE_CONSENT": (frozenset({"provision"}), frozenset({"seller"})),
    "CONTRACT_ENTRUST_STORE": (frozenset({"storage"}), frozenset({"storage"})),
}
