"""Breach incidents (R14): open one with its blast radius, walk its 72-hour clock, read them.

Every step, opening included, is a ledger entry holding ids, counts, field names and times
only: the operator's description and notice texts stay in the incident row, never the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from gatehouse.domain.errors import Conflict, InvalidInput, NotFound
from gatehouse.domain.ids import new_id
from gatehouse.domain.incidents import (
    MAX_DESCRIPTION,
    MAX_SUBJECT_IDS,
    ClockStatus,
    Incident,
    IncidentScope,
    ReportRule,
    Step,
    blast_radius,
    check_discovery,
    check_scope,
    check_step,
    notify_by,
    report_reasons,
)
from gatehouse.domain.policy.breach import BreachRules
from gatehouse.domain.policy.pack import RulePack
from gatehouse.services.incident_events import tell_operator
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.unit_of_work import UnitOfWork

__all__ = [
    "NewIncident",
    "breach_pack",
    "get_incident",
    "list_incidents",
    "open_incident",
    "record_step",
]

OPENED = "incident.opened"
STEP = "incident.step"
MAX_LISTED = 500


@dataclass(frozen=True)
class NewIncident:
    """What the operator reports: when it learned of the breach, what kind, and its scope."""

    discovered_at: datetime
    kind: str
    description: str
    scope: IncidentScope
    self_protection: str | None = None
    countermeasures: str | None = None


def breach_pack(gh: Gatehouse) -> tuple[RulePack, BreachRules]:
    """The pack whose breach rules apply, and those rules."""
    for pack in gh.packs:
        if pack.breach is not None:
            return pack, pack.breach
    raise Conflict("no rule pack declares breach rules", code="no_breach_rules")


def _check(new: NewIncident, rules: BreachRules, now: datetime) -> None:
    check_discovery(new.discovered_at, now)
    if new.kind not in rules.kinds:
        raise InvalidInput(
            f"'{new.kind}' is not an incident kind",
            code="unknown_kind",
            details={"kinds": list(rules.kinds)},
        )
    if not new.description.strip() or len(new.description) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"the description must have 1 to {MAX_DESCRIPTION} characters",
            code="invalid_description",
        )
    if len(new.scope.subject_ids) > MAX_SUBJECT_IDS:
        raise InvalidInput(
            f"a scope names at most {MAX_SUBJECT_IDS} subjects", code="too_many_subjects"
        )


def _check_ids(uow: UnitOfWork, scope: IncidentScope) -> None:
    if scope.recipient_id is not None and uow.recipients.get(scope.recipient_id) is None:
        raise NotFound("no such recipient", code="unknown_recipient")
    for index, subject_id in enumerate(scope.subject_ids):
        if uow.subjects.get(subject_id) is None:
            raise NotFound("no such subject", code="unknown_subject", details={"index": index})


def report_rule(pack: RulePack, rules: BreachRules) -> ReportRule:
    """The pack's regulator-report rule as the domain takes it."""
    return ReportRule(
        threshold=pack.deadlines.breach_report_threshold,
        unique_identifier_fields=frozenset(rules.unique_identifier_fields),
        sensitive_fields=frozenset(rules.sensitive_fields),
        external_access_kinds=frozenset(rules.external_access_kinds),
    )


def open_incident(gh: Gatehouse, new: NewIncident) -> Incident:
    """Record an incident with its blast radius, report flag and deadline; log the opening."""
    pack, rules = breach_pack(gh)
    now = gh.clock()
    _check(new, rules, now)
    scope = check_scope(new.scope, new.discovered_at, pack.pii_fields)
    with gh.unit_of_work() as uow:
        _check_ids(uow, scope)
        radius = blast_radius(uow.incidents.view_windows(scope), scope, pack.pii_fields)
        reasons = report_reasons(report_rule(pack, rules), radius.count, radius.fields, new.kind)
        incident = Incident(
            id=new_id("inc"),
            kind=new.kind,
            description=new.description,
            scope=scope,
            discovered_at=new.discovered_at,
            notify_by=notify_by(new.discovered_at, pack.deadlines.breach_notify_hours),
            affected_subjects=radius.count,
            fields=radius.fields,
            recipients=radius.recipients,
            report_required=bool(reasons),
            report_reasons=tuple(reasons),
            created_at=now,
            self_protection=new.self_protection,
            countermeasures=new.countermeasures,
        )
        uow.incidents.add(incident)
        uow.ledger.append(
            kind=OPENED,
            at=now,
            subject_id=None,
            recipient_id=scope.recipient_id,
            payload={
                "incident_id": incident.id,
                "kind": incident.kind,
                "discovered_at": incident.discovered_at.isoformat(),
                "notify_by": incident.notify_by.isoformat(),
                "affected_subjects": incident.affected_subjects,
                "recipients": len(incident.recipients),
                "fields": list(incident.fields),
                "report_required": incident.report_required,
                "report_reasons": list(incident.report_reasons),
                "scope": {
                    "recipient_id": scope.recipient_id,
                    "country": scope.country,
                    "from": scope.window_from.isoformat() if scope.window_from else None,
                    "to": scope.window_to.isoformat() if scope.window_to else None,
                    "subjects": len(scope.subject_ids),
                    "fields": list(scope.fields),
                },
            },
        )
    return incident


def record_step(gh: Gatehouse, incident_id: str, step: Step, at: datetime | None) -> Incident:
    """Record a step on the clock (at ``at``, or now) and log it; refuse it out of order."""
    now = gh.clock()
    when = at or now
    with gh.unit_of_work() as uow:
        incident = uow.incidents.get(incident_id, lock=True)
        if incident is None:
            raise NotFound("no such incident", code="incident_not_found")
        check_step(incident, step, when, now)
        if not uow.incidents.record_step(incident_id, step, when):
            raise Conflict(f"'{step}' is already recorded", code="step_already_recorded")
        event_id = None
        if step is Step.SUBJECTS_NOTIFIED:
            event_id = tell_operator(gh, uow, incident, when)
        uow.ledger.append(
            kind=STEP,
            at=now,
            subject_id=None,
            recipient_id=incident.scope.recipient_id,
            payload={
                "incident_id": incident_id,
                "step": str(step),
                "at": when.isoformat(),
                "late": when > incident.notify_by,
                "operator_event": event_id,
            },
        )
    return replace(incident, steps={**incident.steps, str(step): when})


def get_incident(gh: Gatehouse, incident_id: str) -> Incident:
    """One incident; ``incident_not_found`` when there is none."""
    with gh.unit_of_work(read_only=True) as uow:
        incident = uow.incidents.get(incident_id)
    if incident is None:
        raise NotFound("no such incident", code="incident_not_found")
    return incident


def list_incidents(
    gh: Gatehouse, status: ClockStatus | None, limit: int = MAX_LISTED
) -> list[Incident]:
    """Incidents, newest discovery first, optionally only those in one clock state."""
    with gh.unit_of_work(read_only=True) as uow:
        return uow.incidents.listing(status=status, now=gh.clock(), limit=limit)
