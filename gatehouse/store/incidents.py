"""Breach incidents on SQL: one row each, its steps as columns; and the views they measure.

Migration 0016 must match the table. The blast radius is read from the ``views`` table joined
to its transfer (for the country and the released fields); the domain narrows the rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ColumnElement,
    Connection,
    Integer,
    String,
    Table,
    Text,
    and_,
    insert,
    not_,
    or_,
    select,
    update,
)

from gatehouse.domain.incidents import (
    ClockStatus,
    Incident,
    IncidentScope,
    Step,
    ViewWindow,
    scope_from_json,
    scope_to_json,
)
from gatehouse.store.db import UTCDateTime
from gatehouse.store.schema import metadata
from gatehouse.store.tables import transfers, views

__all__ = ["IncidentRepository", "incidents"]

incidents = Table(
    "incidents",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("description", Text, nullable=False),
    Column("scope", JSON, nullable=False),
    Column("discovered_at", UTCDateTime(), nullable=False, index=True),
    Column("notify_by", UTCDateTime(), nullable=False),
    Column("affected_subjects", Integer, nullable=False),
    Column("fields", JSON, nullable=False),
    Column("recipients", JSON, nullable=False),
    Column("report_required", Boolean, nullable=False),
    Column("report_reasons", JSON, nullable=False),
    Column("self_protection", Text),
    Column("countermeasures", Text),
    Column("subjects_notified_at", UTCDateTime()),
    Column("regulator_reported_at", UTCDateTime()),
    Column("closed_at", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
)

_STEP_COLUMNS: Mapping[str, str] = {
    Step.SUBJECTS_NOTIFIED: "subjects_notified_at",
    Step.REGULATOR_REPORTED: "regulator_reported_at",
    Step.CLOSED: "closed_at",
}


def _incident(row: Any) -> Incident:
    steps = {
        step: getattr(row, column)
        for step, column in _STEP_COLUMNS.items()
        if getattr(row, column) is not None
    }
    return Incident(
        id=row.id,
        kind=row.kind,
        description=row.description,
        scope=scope_from_json(row.scope),
        discovered_at=row.discovered_at,
        notify_by=row.notify_by,
        affected_subjects=row.affected_subjects,
        fields=tuple(row.fields),
        recipients=tuple(row.recipients),
        report_required=row.report_required,
        report_reasons=tuple(row.report_reasons),
        created_at=row.created_at,
        self_protection=row.self_protection,
        countermeasures=row.countermeasures,
        steps=steps,
    )


def _done() -> ColumnElement[bool]:
    c = incidents.c
    return and_(
        c.subjects_notified_at.is_not(None),
        or_(c.report_required.is_(False), c.regulator_reported_at.is_not(None)),
    )


class IncidentRepository:
    """Incidents and the view windows of their blast radius, on one connection."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, incident: Incident) -> None:
        """Store a new incident."""
        self._c.execute(
            insert(incidents).values(
                id=incident.id,
                kind=incident.kind,
                description=incident.description,
                scope=scope_to_json(incident.scope),
                discovered_at=incident.discovered_at,
                notify_by=incident.notify_by,
                affected_subjects=incident.affected_subjects,
                fields=list(incident.fields),
                recipients=list(incident.recipients),
                report_required=incident.report_required,
                report_reasons=list(incident.report_reasons),
                self_protection=incident.self_protection,
                countermeasures=incident.countermeasures,
                created_at=incident.created_at,
                **{_STEP_COLUMNS[s]: at for s, at in incident.steps.items()},
            )
        )

    def get(self, incident_id: str, *, lock: bool = False) -> Incident | None:
        """One incident, or None; ``lock`` holds its row until the transaction ends."""
        query = select(incidents).where(incidents.c.id == incident_id)
        if lock:
            query = query.with_for_update()
        row = self._c.execute(query).first()
        return _incident(row) if row is not None else None

    def record_step(self, incident_id: str, step: str, at: datetime) -> bool:
        """Record ``step`` once; False when it was recorded already."""
        column = incidents.c[_STEP_COLUMNS[step]]
        result = self._c.execute(
            update(incidents)
            .where(incidents.c.id == incident_id, column.is_(None))
            .values({column: at})
        )
        return result.rowcount == 1

    def listing(self, *, status: ClockStatus | None, now: datetime, limit: int) -> list[Incident]:
        """Incidents, newest discovery first, optionally only those in one clock state."""
        query = select(incidents)
        if status is ClockStatus.DONE:
            query = query.where(_done())
        elif status is ClockStatus.DUE:
            query = query.where(not_(_done()), incidents.c.notify_by >= now)
        elif status is ClockStatus.OVERDUE:
            query = query.where(not_(_done()), incidents.c.notify_by < now)
        query = query.order_by(incidents.c.discovered_at.desc(), incidents.c.id).limit(limit)
        return [_incident(row) for row in self._c.execute(query)]

    def view_windows(self, scope: IncidentScope) -> list[ViewWindow]:
        """The recorded views that match ``scope``'s recipient, country, subjects and window."""
        v, t = views.c, transfers.c
        query = select(
            v.subject_id,
            v.recipient_id,
            t.country,
            t.fields,
            v.opened_at,
            v.expires_at,
            v.closed_at,
        ).join_from(views, transfers, v.transfer_id == t.id)
        if scope.recipient_id is not None:
            query = query.where(v.recipient_id == scope.recipient_id)
        if scope.country is not None:
            query = query.where(t.country == scope.country)
        if scope.subject_ids:
            query = query.where(v.subject_id.in_(scope.subject_ids))
        if scope.window_to is not None:
            query = query.where(v.opened_at <= scope.window_to)
        if scope.window_from is not None:
            start = scope.window_from
            query = query.where(
                v.expires_at > start, or_(v.closed_at.is_(None), v.closed_at > start)
            )
        return [
            ViewWindow(
                subject_id=row.subject_id,
                recipient_id=row.recipient_id,
                country=row.country,
                fields=tuple(row.fields),
                opened_at=row.opened_at,
                expires_at=row.expires_at,
                closed_at=row.closed_at,
            )
            for row in self._c.execute(query)
        ]
