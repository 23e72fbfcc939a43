"""Proof from the ledger that no data went to a suspended recipient or country (Art. 28-9).

Suspensions and their lifting are ledger entries (``recipient.suspended``,
``recipient.resumed``, ``country.suspended``, ``country.resumed``), and so is every allowed
transfer (``transfer.allowed``, with its recipient and the recipient's country). The audit
replays them by time: a transfer stamped at or after a suspension, and before its lifting,
is a violation. Entries of one instant count the transfer as inside the suspension, so a
tie is reported rather than excused.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from gatehouse.domain.suspension_spans import SUSPENSION_KINDS, SuspensionSpans
from gatehouse.ledger import LedgerEntry
from gatehouse.services.ports import Ledger
from gatehouse.services.runtime import Gatehouse

__all__ = ["SUSPENSION_KINDS", "AuditReport", "Suspended", "Violation", "audit_suspensions"]

_TRANSFER_KIND = "transfer.allowed"
_BATCH = 1000


@dataclass(frozen=True)
class Suspended:
    """A suspension a transfer fell inside: its target, and since when it was in force."""

    target_type: str
    target: str
    since: datetime


@dataclass(frozen=True)
class Violation:
    """One allowed transfer inside a suspension of its recipient or its country."""

    transfer_id: str | None
    recipient_id: str | None
    country: str | None
    at: datetime
    shard: int
    seq: int
    suspended: list[Suspended]


@dataclass(frozen=True)
class AuditReport:
    """What the audit read, and what it found."""

    transfers_checked: int
    suspensions: int
    violations: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no transfer fell inside a suspension."""
        return not self.violations


def _stream(ledger: Ledger, kind: str) -> Iterator[LedgerEntry]:
    after: tuple[int, int] | None = None
    while True:
        page = ledger.find(kind=kind, after=after, limit=_BATCH)
        yield from page
        if len(page) < _BATCH:
            return
        after = (page[-1].shard, page[-1].seq)


def _target(entry: LedgerEntry) -> tuple[str, str] | None:
    kind, _ = SUSPENSION_KINDS[entry.kind]
    target = entry.payload.get("target")
    if not isinstance(target, str):
        # An entry without its target cannot be placed; the verifier would flag tampering.
        target = entry.recipient_id if kind == "recipient" else None
    return (kind, target) if target else None


def audit_suspensions(gh: Gatehouse) -> AuditReport:
    """Replay suspensions and allowed transfers from one snapshot of the ledger.

    Only what the ledger holds counts: suspensions recorded before they became ledger
    entries are not seen.
    """
    with gh.unit_of_work(read_only=True) as uow:
        events = [entry for kind in SUSPENSION_KINDS for entry in _stream(uow.ledger, kind)]
        # Same-instant entries of one target keep their chain order (shard, seq).
        events.sort(key=lambda entry: (entry.at, entry.shard, entry.seq))
        intervals = SuspensionSpans()
        for entry in events:
            target = _target(entry)
            if target is not None:
                intervals.add(target, SUSPENSION_KINDS[entry.kind][1], entry.at)
        checked = 0
        violations = []
        for entry in _stream(uow.ledger, _TRANSFER_KIND):
            checked += 1
            country = entry.payload.get("country")
            found = []
            for target_type, value in (("recipient", entry.recipient_id), ("country", country)):
                if not isinstance(value, str):
                    continue
                since = intervals.covering((target_type, value), entry.at)
                if since is not None:
                    found.append(Suspended(target_type, value, since))
            if found:
                transfer_id = entry.payload.get("transfer_id")
                violations.append(
                    Violation(
                        transfer_id=transfer_id if isinstance(transfer_id, str) else None,
                        recipient_id=entry.recipient_id,
                        country=country if isinstance(country, str) else None,
                        at=entry.at,
                        shard=entry.shard,
                        seq=entry.seq,
                        suspended=found,
                    )
                )
    return AuditReport(transfers_checked=checked, suspensions=len(events), violations=violations)
