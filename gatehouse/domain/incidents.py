"""Breach incidents (「개인정보 보호법」 제34조): scope, blast radius, report rule, 72-hour clock.

Pure: the service hands in the view windows Gatehouse recorded and the pack's rules, and gets
back who is affected, whether a regulator report is due, and where the clock stands.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from gatehouse.domain.errors import Conflict, InvalidInput

__all__ = [
    "MAX_DESCRIPTION",
    "MAX_SUBJECT_IDS",
    "BlastRadius",
    "ClockStatus",
    "Incident",
    "IncidentScope",
    "ReportRule",
    "Step",
    "ViewWindow",
    "blast_radius",
    "check_discovery",
    "check_scope",
    "check_step",
    "notify_by",
    "report_reasons",
    "scope_from_json",
    "scope_to_json",
]

MAX_DESCRIPTION = 4000
MAX_SUBJECT_IDS = 1000


class Step(StrEnum):
    """What the operator records after opening an incident."""

    SUBJECTS_NOTIFIED = "subjects_notified"
    REGULATOR_REPORTED = "regulator_reported"
    CLOSED = "closed"


class ClockStatus(StrEnum):
    """Where the 72-hour clock stands."""

    DUE = "due"
    OVERDUE = "overdue"
    DONE = "done"


@dataclass(frozen=True)
class IncidentScope:
    """What the operator knows was reached: a recipient, a country, a window, subjects, fields."""

    recipient_id: str | None = None
    country: str | None = None
    window_from: datetime | None = None
    window_to: datetime | None = None
    subject_ids: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        """True when the scope names nothing at all."""
        return not (
            self.recipient_id
            or self.country
            or self.window_from
            or self.window_to
            or self.subject_ids
            or self.fields
        )


@dataclass(frozen=True)
class ViewWindow:
    """One recipient's window on one subject's transferred fields, as recorded."""

    subject_id: str
    recipient_id: str
    country: str | None
    fields: tuple[str, ...]
    opened_at: datetime
    expires_at: datetime
    closed_at: datetime | None = None

    @property
    def ends_at(self) -> datetime:
        """When the view stopped being open: closed or expired, whichever came first."""
        if self.closed_at is not None and self.closed_at < self.expires_at:
            return self.closed_at
        return self.expires_at

    def overlaps(self, start: datetime | None, stop: datetime | None) -> bool:
        """Whether the view was open at some moment of ``[start, stop]``."""
        return (stop is None or self.opened_at <= stop) and (start is None or self.ends_at > start)


@dataclass(frozen=True)
class BlastRadius:
    """Who was reached: the subjects, the fields they had released, and who held them."""

    subjects: frozenset[str]
    fields: tuple[str, ...]
    recipients: tuple[str, ...]

    @property
    def count(self) -> int:
        """The number of distinct affected subjects."""
        return len(self.subjects)


def _in_scope(window: ViewWindow, scope: IncidentScope) -> bool:
    if scope.recipient_id is not None and window.recipient_id != scope.recipient_id:
        return False
    if scope.country is not None and window.country != scope.country:
        return False
    if scope.subject_ids and window.subject_id not in scope.subject_ids:
        return False
    if scope.fields and not set(scope.fields) & set(window.fields):
        return False
    return window.overlaps(scope.window_from, scope.window_to)


def blast_radius(
    windows: Iterable[ViewWindow], scope: IncidentScope, field_order: Iterable[str] = ()
) -> BlastRadius:
    """The subjects whose views in scope were open in the window, their fields and holders.

    With fields in the scope, only those fields count as leaked (and only views that released
    one of them); without, every field the views released does.
    """
    subjects: set[str] = set()
    fields: set[str] = set()
    recipients: set[str] = set()
    for window in windows:
        if not _in_scope(window, scope):
            continue
        subjects.add(window.subject_id)
        recipients.add(window.recipient_id)
        released = set(window.fields)
        fields |= released & set(scope.fields) if scope.fields else released
    order = {name: index for index, name in enumerate(field_order)}
    ordered = sorted(fields, key=lambda f: (order.get(f, len(order)), f))
    return BlastRadius(frozenset(subjects), tuple(ordered), tuple(sorted(recipients)))


@dataclass(frozen=True)
class ReportRule:
    """The pack's rule for a regulator report (시행령 제40조제1항)."""

    threshold: int
    unique_identifier_fields: frozenset[str] = frozenset()
    sensitive_fields: frozenset[str] = frozenset()
    external_access_kinds: frozenset[str] = frozenset()


def report_reasons(rule: ReportRule, affected: int, fields: Iterable[str], kind: str) -> list[str]:
    """Why a regulator report is due; empty when it is not."""
    leaked = set(fields)
    reasons = []
    if affected >= rule.threshold:
        reasons.append("subject_threshold")
    if leaked & rule.unique_identifier_fields:
        reasons.append("unique_identifiers")
    if leaked & rule.sensitive_fields:
        reasons.append("sensitive_data")
    if kind in rule.external_access_kinds:
        reasons.append("external_access")
    return reasons


def notify_by(discovered_at: datetime, hours: int) -> datetime:
    """The deadline for notifying subjects (and reporting): discovery plus the pack's hours."""
    return discovered_at + timedelta(hours=hours)


def _aware(value: datetime, name: str) -> None:
    if value.tzinfo is None:
        raise InvalidInput(
            f"{name} needs a time zone", code="invalid_time", details={"field": name}
        )


def check_discovery(discovered_at: datetime, now: datetime) -> None:
    """Refuse a discovery time without a zone or in the future."""
    _aware(discovered_at, "discovered_at")
    if discovered_at > now:
        raise InvalidInput("discovered_at is in the future", code="discovered_in_future")


def check_scope(
    scope: IncidentScope, discovered_at: datetime, known_fields: Iterable[str]
) -> IncidentScope:
    """The scope with its window closed at discovery by default; refuse a malformed one."""
    if scope.is_empty():
        raise InvalidInput("the scope names nothing", code="scope_empty")
    known = set(known_fields)
    for name in scope.fields:
        if name not in known:
            raise InvalidInput(
                f"'{name}' is not a field", code="unknown_field", details={"field": name}
            )
    for name in ("window_from", "window_to"):
        value = getattr(scope, name)
        if value is not None:
            _aware(value, name)
    stop = scope.window_to or discovered_at
    if stop > discovered_at:
        raise InvalidInput("the window ends after discovery", code="scope_window_after_discovery")
    if scope.window_from is not None and scope.window_from > stop:
        raise InvalidInput("the window starts after it ends", code="scope_window_reversed")
    return replace(scope, window_to=stop)


def scope_to_json(scope: IncidentScope) -> dict[str, Any]:
    """The scope as plain JSON values, for the incident row and the API."""
    return {
        "recipient_id": scope.recipient_id,
        "country": scope.country,
        "from": scope.window_from.isoformat() if scope.window_from else None,
        "to": scope.window_to.isoformat() if scope.window_to else None,
        "subject_ids": list(scope.subject_ids),
        "fields": list(scope.fields),
    }


def scope_from_json(data: Mapping[str, Any]) -> IncidentScope:
    """The scope back from :func:`scope_to_json`."""

    def when(key: str) -> datetime | None:
        value = data.get(key)
        return datetime.fromisoformat(value) if value else None

    return IncidentScope(
        recipient_id=data.get("recipient_id"),
        country=data.get("country"),
        window_from=when("from"),
        window_to=when("to"),
        subject_ids=tuple(data.get("subject_ids") or ()),
        fields=tuple(data.get("fields") or ()),
    )


@dataclass(frozen=True)
class Incident:
    """A breach record with its blast radius and the steps taken on its clock."""

    id: str
    kind: str
    description: str
    scope: IncidentScope
    discovered_at: datetime
    notify_by: datetime
    affected_subjects: int
    fields: tuple[str, ...]
    recipients: tuple[str, ...]
    report_required: bool
    report_reasons: tuple[str, ...]
    created_at: datetime
    self_protection: str | None = None
    countermeasures: str | None = None
    steps: Mapping[str, datetime] = field(default_factory=dict)

    def done(self) -> bool:
        """Subjects notified, and the regulator reported when a report is required."""
        if Step.SUBJECTS_NOTIFIED not in self.steps:
            return False
        return not self.report_required or Step.REGULATOR_REPORTED in self.steps

    def status(self, now: datetime) -> ClockStatus:
        """Due until the deadline, overdue after it, done once the duties are met."""
        if self.done():
            return ClockStatus.DONE
        return ClockStatus.OVERDUE if now > self.notify_by else ClockStatus.DUE

    @property
    def closed_at(self) -> datetime | None:
        """When the operator closed the incident, if it did."""
        return self.steps.get(Step.CLOSED)


def check_step(incident: Incident, step: Step, at: datetime, now: datetime) -> None:
    """Refuse a step that is repeated, out of order, in the future or before discovery."""
    _aware(at, "at")
    if at > now:
        raise InvalidInput("the step's time is in the future", code="step_in_future")
    if at < incident.discovered_at:
        raise InvalidInput("the step's time is before discovery", code="step_before_discovery")
    if incident.closed_at is not None:
        raise Conflict("the incident is closed", code="incident_closed")
    if step in incident.steps:
        raise Conflict(f"'{step}' is already recorded", code="step_already_recorded")
    if step is Step.SUBJECTS_NOTIFIED:
        for item in ("self_protection", "countermeasures"):
            if not getattr(incident, item):
                raise Conflict(
                    f"the notice has no '{item}' item",
                    code="notice_incomplete",
                    details={"item": item},
                )
    if step is Step.CLOSED and not incident.done():
        raise Conflict("notify the subjects (and report, if required) first", code="not_done")
