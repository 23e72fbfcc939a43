"""The in-memory operator profile: a list of versions, only ever appended to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gatehouse.store.operator_profiles import StoredProfile
from tests.support.fake_tables import FakeRepository

__all__ = ["FakeOperatorProfiles"]


class FakeOperatorProfiles(FakeRepository):
    """The operator's profile versions, oldest first."""

    def latest(self) -> StoredProfile | None:
        self._hook("latest")
        return self.t.operator_profiles[-1] if self.t.operator_profiles else None

    def versions(self) -> list[StoredProfile]:
        self._hook("versions")
        return list(self.t.operator_profiles)

    def append(self, content: dict[str, Any], content_hash: str, at: datetime) -> StoredProfile:
        self._hook("append")
        stored = StoredProfile(len(self.t.operator_profiles) + 1, content, content_hash, at)
        self.t.operator_profiles.append(stored)
        return stored
