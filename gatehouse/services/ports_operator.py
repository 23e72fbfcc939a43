"""The port of the operator's own records: its profile, one append-only row per version.

The units of work offer it beside the ports of :mod:`gatehouse.services.ports`; see there for
what a port is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from gatehouse.store.operator_profiles import StoredProfile

__all__ = ["OperatorProfiles"]


class OperatorProfiles(Protocol):
    """The operator's profile: versions are only ever added; the latest is current."""

    def latest(self) -> StoredProfile | None: ...

    def versions(self) -> list[StoredProfile]: ...

    def append(self, content: dict[str, Any], content_hash: str, at: datetime) -> StoredProfile: ...
