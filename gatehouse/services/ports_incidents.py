"""The port of breach incidents: their records, and the view windows a blast radius is taken from.

The units of work offer it beside the ports of :mod:`gatehouse.services.ports`; see there for
what a port is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from gatehouse.domain.incidents import ClockStatus, Incident, IncidentScope, ViewWindow

__all__ = ["Incidents"]


class Incidents(Protocol):
    """Incidents, one row each with its steps; and the recorded views they are measured on."""

    def add(self, incident: Incident) -> None: ...

    def get(self, incident_id: str, *, lock: bool = False) -> Incident | None: ...

    def record_step(self, incident_id: str, step: str, at: datetime) -> bool:
        """Record ``step`` once; False when it was recorded already."""
        ...

    def listing(
        self, *, status: ClockStatus | None, now: datetime, limit: int
    ) -> list[Incident]: ...

    def view_windows(self, scope: IncidentScope) -> list[ViewWindow]:
        """Every recorded view that may fall in ``scope``: at least those that do."""
        ...
