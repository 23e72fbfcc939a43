"""The audit's fold of the duties around transfers: consents, rights requests, erasures,
incidents and policy versions. Pairs (a request and its answer, an erasure notice and its
acknowledgement, an incident and its notification) are settled at the end, so entries may
come in any order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from gatehouse.domain.audit import Category, EvidenceEntry, FindingKey, read_text
from gatehouse.domain.audit_listing import (
    AuditEntry,
    AuditRules,
    Listing,
    evidence_of,
    parse_time,
    text_of,
)

__all__ = ["DutyFold"]

_NOTIFIED_STEP = "subjects_notified"


def _when(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(read_text(value))


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("expected true or false")
    return value


class DutyFold:
    """Handlers for the duty entries, writing into the shared listings."""

    def __init__(self, listings: dict[FindingKey, Listing], rules: AuditRules) -> None:
        self._listings = listings
        self.rules = rules
        self._consent_notices: set[str] = set()
        # Pairs settled at the end: id -> (due, the entry that opened it).
        self._requests: dict[str, tuple[datetime | None, EvidenceEntry]] = {}
        self._answered: dict[str, tuple[datetime, bool]] = {}
        self._erasures: dict[str, EvidenceEntry] = {}
        self._acknowledged: set[str] = set()
        self._incidents: dict[str, tuple[datetime | None, EvidenceEntry]] = {}
        self._notified: dict[str, bool] = {}

    def handlers(self) -> dict[str, Callable[[AuditEntry], None]]:
        """Entry kind -> handler."""
        return {
            "consent.granted": self._consent,
            "consent.refused": self._consent,
            "consent.withdrawn": self._consent,
            "request.created": self._request_created,
            "request.resolved": self._request_resolved,
            "subject.deleted": self._deleted,
            "erasure.acknowledged": self._acknowledgement,
            "erasure.escalated": self._escalated,
            "incident.opened": self._incident_opened,
            "incident.step": self._incident_step,
            "policy.published": self._policy,
        }

    @property
    def consent_notices(self) -> int:
        """Distinct notices the window's consents answered."""
        return len(self._consent_notices)

    def _consent(self, entry: AuditEntry) -> None:
        listing = self._listings[FindingKey.CONSENT]
        key = entry.kind.rpartition(".")[2]
        listing.counts[key] += 1
        notice_hash = text_of(entry.payload.get("notice_hash"))
        detail = {
            "consent_id": text_of(entry.payload.get("consent_id")),
            "purpose": text_of(entry.payload.get("purpose")),
            "notice_hash": notice_hash,
        }
        if key == "withdrawn":
            return
        if notice_hash and detail["purpose"]:
            self._consent_notices.add(notice_hash)
            listing.sample(entry, detail)
        else:
            listing.counts["without_notice"] += 1
            listing.flag(
                Category.CONSENT_WITHOUT_NOTICE, entry.at, detail, evidence_of(entry, detail)
            )

    def _request_created(self, entry: AuditEntry) -> None:
        request_id = text_of(entry.payload.get("request_id"))
        detail = {"request_id": request_id, "type": text_of(entry.payload.get("type"))}
        self._listings[FindingKey.REQUESTS].counts["created"] += 1
        self._listings[FindingKey.REQUESTS].sample(entry, detail)
        self._requests[request_id] = (
            parse_time(entry.payload.get("due_at")),
            evidence_of(entry, detail),
        )

    def _request_resolved(self, entry: AuditEntry) -> None:
        due = parse_time(entry.payload.get("due_at"))
        request_id = text_of(entry.payload.get("request_id"))
        late = due is not None and entry.at > due
        self._answered[request_id] = (entry.at, late)
        listing = self._listings[FindingKey.REQUESTS]
        listing.counts["resolved"] += 1
        listing.counts["late" if late else "on_time"] += 1
        if late:
            detail = {
                "request_id": request_id,
                "type": text_of(entry.payload.get("type")),
                "due_at": due.isoformat() if due else "",
            }
            listing.flag(Category.REQUEST_LATE, entry.at, detail, evidence_of(entry, detail))

    def _deleted(self, entry: AuditEntry) -> None:
        listing = self._listings[FindingKey.ERASURE]
        listing.counts["deletions"] += 1
        deletion_id = text_of(entry.payload.get("deletion_id"))
        listing.sample(entry, {"deletion_id": deletion_id})
        erasure_ids = entry.payload.get("erasure_ids")
        for erasure_id in erasure_ids if isinstance(erasure_ids, list) else ():
            listing.counts["erasure_notices"] += 1
            detail = {"deletion_id": deletion_id, "erasure_id": text_of(erasure_id)}
            self._erasures[text_of(erasure_id)] = evidence_of(entry, detail)

    def _acknowledgement(self, entry: AuditEntry) -> None:
        listing = self._listings[FindingKey.ERASURE]
        listing.counts["acknowledged"] += 1
        erasure_id = text_of(entry.payload.get("erasure_id"))
        self._acknowledged.add(erasure_id)
        if entry.payload.get("late") is True:
            listing.counts["acknowledged_late"] += 1
            detail = {"erasure_id": erasure_id, "recipient_id": entry.recipient_id or ""}
            listing.flag(
                Category.ERASURE_ACKNOWLEDGED_LATE, entry.at, detail, evidence_of(entry, detail)
            )

    def _escalated(self, entry: AuditEntry) -> None:
        self._listings[FindingKey.ERASURE].counts["escalated"] += 1

    def _incident_opened(self, entry: AuditEntry) -> None:
        listing = self._listings[FindingKey.INCIDENTS]
        listing.counts["opened"] += 1
        if entry.payload.get("report_required") is True:
            listing.counts["report_required"] += 1
        incident_id = text_of(entry.payload.get("incident_id"))
        detail = {"incident_id": incident_id, "kind": text_of(entry.payload.get("kind"))}
        listing.sample(entry, detail)
        self._incidents[incident_id] = (
            parse_time(entry.payload.get("notify_by")),
            evidence_of(entry, detail),
        )

    def _incident_step(self, entry: AuditEntry) -> None:
        if entry.payload.get("step") != _NOTIFIED_STEP:
            return
        incident_id = text_of(entry.payload.get("incident_id"))
        late = entry.payload.get("late") is True
        self._notified[incident_id] = late
        if late:
            detail = {"incident_id": incident_id, "step": _NOTIFIED_STEP}
            self._listings[FindingKey.INCIDENTS].flag(
                Category.INCIDENT_LATE, entry.at, detail, evidence_of(entry, detail)
            )

    def _policy(self, entry: AuditEntry) -> None:
        listing = self._listings[FindingKey.POLICY]
        listing.counts["published"] += 1
        version = entry.payload.get("version")
        listing.sample(
            entry,
            {"version": str(version), "content_hash": text_of(entry.payload.get("content_hash"))},
        )

    def merge(self, other: DutyFold) -> None:
        """Take in what ``other`` opened and closed, over entries this fold has not seen, so
        that :meth:`settle` pairs them across both (a request made on one day and answered on
        another). The listings both write into merge on their own."""
        self._consent_notices |= other._consent_notices
        self._requests.update(other._requests)
        self._answered.update(other._answered)
        self._erasures.update(other._erasures)
        self._acknowledged |= other._acknowledged
        self._incidents.update(other._incidents)
        self._notified.update(other._notified)

    def to_state(self) -> dict[str, Any]:
        """What this fold opened and closed, as JSON, to be merged later."""
        return {
            "consent_notices": sorted(self._consent_notices),
            "requests": {k: [_when(due), e.to_dict()] for k, (due, e) in self._requests.items()},
            "answered": {k: [at.isoformat(), late] for k, (at, late) in self._answered.items()},
            "erasures": {k: e.to_dict() for k, e in self._erasures.items()},
            "acknowledged": sorted(self._acknowledged),
            "incidents": {k: [_when(by), e.to_dict()] for k, (by, e) in self._incidents.items()},
            "notified": dict(self._notified),
        }

    def merge_state(self, state: Mapping[str, Any]) -> None:
        """:meth:`merge` what :meth:`to_state` gave; KeyError, TypeError or ValueError, and
        nothing merged, if it is malformed."""
        other = DutyFold({}, self.rules)
        other._consent_notices = {read_text(h) for h in state["consent_notices"]}
        other._requests = {
            read_text(k): (_time(due), EvidenceEntry.from_dict(e))
            for k, (due, e) in state["requests"].items()
        }
        other._answered = {
            read_text(k): (datetime.fromisoformat(read_text(at)), _flag(late))
            for k, (at, late) in state["answered"].items()
        }
        other._erasures = {
            read_text(k): EvidenceEntry.from_dict(e) for k, e in state["erasures"].items()
        }
        other._acknowledged = {read_text(e) for e in state["acknowledged"]}
        other._incidents = {
            read_text(k): (_time(by), EvidenceEntry.from_dict(e))
            for k, (by, e) in state["incidents"].items()
        }
        other._notified = {read_text(k): _flag(late) for k, late in state["notified"].items()}
        self.merge(other)

    def settle(self, end: datetime) -> None:
        """Pair what the window opened with what it closed, as of ``end``."""
        requests = self._listings[FindingKey.REQUESTS]
        for request_id, (due, opened) in self._requests.items():
            if request_id in self._answered:
                continue
            if due is not None and due < end:
                requests.counts["open_overdue"] += 1
                requests.flag(
                    Category.REQUEST_OVERDUE,
                    due,
                    {**opened.detail, "due_at": due.isoformat()},
                    opened,
                )
            else:
                requests.counts["open_in_time"] += 1
        erasure = self._listings[FindingKey.ERASURE]
        grace = timedelta(days=self.rules.erasure_ack_days)
        for erasure_id, notice in self._erasures.items():
            if erasure_id not in self._acknowledged and notice.at + grace <= end:
                erasure.counts["unacknowledged"] += 1
                erasure.flag(
                    Category.ERASURE_UNACKNOWLEDGED, notice.at + grace, notice.detail, notice
                )
        incidents = self._listings[FindingKey.INCIDENTS]
        for incident_id, (notify_by, opened) in self._incidents.items():
            if incident_id in self._notified:
                incidents.counts[
                    "notified_late" if self._notified[incident_id] else "notified_on_time"
                ] += 1
            elif notify_by is not None and notify_by <= end:
                incidents.counts["overdue"] += 1
                incidents.flag(Category.INCIDENT_OVERDUE, notify_by, opened.detail, opened)
