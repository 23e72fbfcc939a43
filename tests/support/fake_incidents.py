"""The in-memory incidents repository: incidents by id, and view windows from the fake views."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from gatehouse.domain.incidents import ClockStatus, Incident, IncidentScope, ViewWindow
from tests.support.fake_tables import FakeRepository

__all__ = ["FakeIncidents"]


class FakeIncidents(FakeRepository):
    """Incidents in ``t.incidents``; the windows come from ``t.views`` and ``t.closed_views``."""

    def add(self, incident: Incident) -> None:
        self._hook("add")
        self.t.incidents[incident.id] = incident

    def get(self, incident_id: str, *, lock: bool = False) -> Incident | None:
        self._hook("get")
        return self.t.incidents.get(incident_id)

    def record_step(self, incident_id: str, step: str, at: datetime) -> bool:
        self._hook("record_step")
        incident = self.t.incidents.get(incident_id)
        if incident is None or step in incident.steps:
            return False
        self.t.incidents[incident_id] = replace(incident, steps={**incident.steps, step: at})
        return True

    def listing(self, *, status: ClockStatus | None, now: datetime, limit: int) -> list[Incident]:
        self._hook("listing")
        found = [i for i in self.t.incidents.values() if status in (None, i.status(now))]
        found.sort(key=lambda i: i.id)
        found.sort(key=lambda i: i.discovered_at, reverse=True)
        return found[:limit]

    def view_windows(self, scope: IncidentScope) -> list[ViewWindow]:
        # Every view: the domain narrows them to the scope, as it does the SQL rows.
        self._hook("view_windows")
        windows = []
        for transfer_id, view in self.t.views.items():
            transfer = self.t.transfers[transfer_id]
            closed = self.t.closed_views.get(transfer_id)
            windows.append(
                ViewWindow(
                    subject_id=view.subject_id,
                    recipient_id=view.recipient_id,
                    country=transfer.country,
                    fields=tuple(transfer.fields),
                    opened_at=view.opened_at,
                    expires_at=view.expires_at,
                    closed_at=closed[0] if closed else None,
                )
            )
        return windows
