"""Operator endpoints for breach incidents (「개인정보 보호법」 제34조) and their 72-hour clock.

``POST /v1/incidents`` records one with its blast radius from the recorded views; steps are
posted to ``/v1/incidents/{id}/steps``; the subject notice is ``GET /v1/incidents/{id}/notice``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field, StrictStr

from gatehouse.api.bodies import Body
from gatehouse.domain.incidents import (
    MAX_DESCRIPTION,
    MAX_SUBJECT_IDS,
    ClockStatus,
    Incident,
    IncidentScope,
    Step,
)
from gatehouse.http.dates import IsoDateTime
from gatehouse.http.deps import GatehouseDep, OperatorDep
from gatehouse.http.openapi import refusals
from gatehouse.services import incidents as service
from gatehouse.services.incident_notice import incident_notice

__all__ = ["router"]

router = APIRouter(prefix="/v1/incidents", tags=["operator"])

Id = Annotated[StrictStr, Field(min_length=1, max_length=40)]
FieldKey = Annotated[StrictStr, Field(min_length=1, max_length=40)]
Moment = IsoDateTime
Long = Annotated[StrictStr, Field(min_length=1, max_length=MAX_DESCRIPTION)]
IncidentId = Annotated[str, Path(max_length=64)]


class IncidentScopeIn(Body):
    recipient_id: Id | None = None
    country: Annotated[StrictStr, Field(pattern=r"^[A-Z]{2}$")] | None = None
    from_: Moment | None = Field(default=None, alias="from")
    to: Moment | None = None
    subject_ids: Annotated[list[Id], Field(max_length=MAX_SUBJECT_IDS)] = []
    fields: Annotated[list[FieldKey], Field(max_length=20)] = []

    def to_domain(self) -> IncidentScope:
        return IncidentScope(
            recipient_id=self.recipient_id,
            country=self.country,
            window_from=self.from_,
            window_to=self.to,
            subject_ids=tuple(dict.fromkeys(self.subject_ids)),
            fields=tuple(dict.fromkeys(self.fields)),
        )


class IncidentIn(Body):
    discovered_at: Moment
    kind: Annotated[StrictStr, Field(min_length=1, max_length=40)]
    description: Long
    scope: IncidentScopeIn
    # Items 3 and 4 of the subject notice; required before the subjects are notified.
    self_protection: Long | None = None
    countermeasures: Long | None = None


class IncidentStepIn(Body):
    step: Literal["subjects_notified", "regulator_reported", "closed"]
    at: Moment | None = None


class IncidentOut(BaseModel):
    id: str
    kind: str
    status: str
    discovered_at: datetime
    notify_by: datetime
    affected_subjects: int
    fields: list[str]
    recipients: list[str]
    report_required: bool
    report_reasons: list[str]
    scope: dict[str, object]
    steps: dict[str, datetime]
    closed: bool
    created_at: datetime


class IncidentPage(BaseModel):
    items: list[IncidentOut]
    next_cursor: str | None = None


class IncidentNoticeItemOut(BaseModel):
    key: str
    heading: str
    text: str


class IncidentNoticeOut(BaseModel):
    language: str
    article: str
    title: str
    intro: str
    items: list[IncidentNoticeItemOut]
    text: str


def _out(incident: Incident, now: datetime) -> IncidentOut:
    scope = incident.scope
    return IncidentOut(
        id=incident.id,
        kind=incident.kind,
        status=str(incident.status(now)),
        discovered_at=incident.discovered_at,
        notify_by=incident.notify_by,
        affected_subjects=incident.affected_subjects,
        fields=list(incident.fields),
        recipients=list(incident.recipients),
        report_required=incident.report_required,
        report_reasons=list(incident.report_reasons),
        scope={
            "recipient_id": scope.recipient_id,
            "country": scope.country,
            "from": scope.window_from,
            "to": scope.window_to,
            "subjects": len(scope.subject_ids),
            "fields": list(scope.fields),
        },
        steps=dict(incident.steps),
        closed=incident.closed_at is not None,
        created_at=incident.created_at,
    )


@router.post("", status_code=201, response_model=IncidentOut, responses=refusals(409))
def open_incident(body: IncidentIn, gh: GatehouseDep, _: OperatorDep) -> IncidentOut:
    """Record an incident: its blast radius, whether a report is due, and its deadline."""
    incident = service.open_incident(
        gh,
        service.NewIncident(
            discovered_at=body.discovered_at,
            kind=body.kind,
            description=body.description,
            scope=body.scope.to_domain(),
            self_protection=body.self_protection,
            countermeasures=body.countermeasures,
        ),
    )
    return _out(incident, gh.clock())


@router.get("", response_model=IncidentPage)
def list_incidents(
    gh: GatehouseDep,
    _: OperatorDep,
    status: Literal["due", "overdue", "done"] | None = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LISTED)] = 100,
) -> IncidentPage:
    """Incidents, newest discovery first, optionally only those in one clock state."""
    found = service.list_incidents(gh, ClockStatus(status) if status else None, limit)
    now = gh.clock()
    return IncidentPage(items=[_out(incident, now) for incident in found])


@router.get("/{incident_id}", response_model=IncidentOut)
def get_incident(incident_id: IncidentId, gh: GatehouseDep, _: OperatorDep) -> IncidentOut:
    """One incident with its clock."""
    return _out(service.get_incident(gh, incident_id), gh.clock())


@router.post("/{incident_id}/steps", response_model=IncidentOut, responses=refusals(409))
def record_step(
    incident_id: IncidentId, body: IncidentStepIn, gh: GatehouseDep, _: OperatorDep
) -> IncidentOut:
    """Record that the subjects were notified, the regulator reported, or the incident closed."""
    incident = service.record_step(gh, incident_id, Step(body.step), body.at)
    return _out(incident, gh.clock())


@router.get("/{incident_id}/notice", response_model=IncidentNoticeOut)
def notice(
    incident_id: IncidentId,
    gh: GatehouseDep,
    _: OperatorDep,
    locale: Annotated[str, Query(pattern=r"^[a-z]{2,3}$")] = "ko",
) -> IncidentNoticeOut:
    """The notice to the affected subjects; 422 naming the item while one is empty."""
    rendered = incident_notice(gh, incident_id, locale)
    return IncidentNoticeOut(
        language=rendered.language,
        article=rendered.article,
        title=rendered.title,
        intro=rendered.intro,
        items=[IncidentNoticeItemOut(key=k, heading=h, text=t) for k, h, t in rendered.items],
        text=rendered.text,
    )
