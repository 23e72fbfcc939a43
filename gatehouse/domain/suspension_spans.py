"""When each recipient or country was suspended, replayed from its suspension events.

A transfer stamped at or after a suspension, and before its lifting, fell inside it. Events
of one instant count the transfer as inside, so a tie is reported rather than excused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["SUSPENSION_KINDS", "SuspensionSpans", "Target"]

# Ledger kind -> (target type, whether it starts a suspension).
SUSPENSION_KINDS = {
    "recipient.suspended": ("recipient", True),
    "recipient.resumed": ("recipient", False),
    "country.suspended": ("country", True),
    "country.resumed": ("country", False),
}

Target = tuple[str, str]
"""``("recipient", id)`` or ``("country", code)``."""


@dataclass
class SuspensionSpans:
    """Each target's suspended spans, ``[start, end)``, end None while still suspended.

    Events must be added in time order; a second suspension of a suspended target, or a
    resumption of an active one, changes nothing.
    """

    spans: dict[Target, list[tuple[datetime, datetime | None]]] = field(default_factory=dict)

    def add(self, target: Target, suspended: bool, at: datetime) -> None:
        """Record that ``target`` was suspended (or resumed) at ``at``."""
        spans = self.spans.setdefault(target, [])
        still_open = bool(spans) and spans[-1][1] is None
        if suspended and not still_open:
            spans.append((at, None))
        elif not suspended and still_open:
            spans[-1] = (spans[-1][0], at)

    def covering(self, target: Target, at: datetime) -> datetime | None:
        """The start of the suspension of ``target`` in force at ``at``, or None."""
        for start, end in self.spans.get(target, ()):
            if start <= at and (end is None or at < end):
                return start
        return None
