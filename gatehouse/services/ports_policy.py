"""The port of the published privacy policy: append-only versions and their registers.

The units of work offer it beside the ports of :mod:`gatehouse.services.ports`; see there for
what a port is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from gatehouse.domain.decision import DisclosureFact
from gatehouse.store.policy_documents import EntrusteeRow, EntrusteeSlice
from gatehouse.store.privacy_policies import (
    PolicyDisclosure,
    PolicyRegisterRow,
    RegisterSlice,
    StoredPolicy,
)

__all__ = [
    "EntrusteeRow",
    "EntrusteeSlice",
    "Policies",
    "PolicyDocuments",
    "PolicyDisclosure",
    "PolicyRegisterRow",
    "RegisterSlice",
    "StoredPolicy",
]


class Policies(Protocol):
    """Policy versions (only ever added) and the register rows each version disclosed."""

    def latest(self, *, with_documents: bool = True) -> StoredPolicy | None: ...

    def get(self, version: int, *, with_documents: bool = True) -> StoredPolicy | None: ...

    def in_force(self, at: datetime, *, with_documents: bool = True) -> StoredPolicy | None: ...

    def history(self) -> list[StoredPolicy]: ...

    def append(self, policy: StoredPolicy) -> None: ...

    def current_hashes(self) -> dict[str, str]: ...

    def close_rows(self, recipient_ids: Iterable[str], last_version: int) -> None: ...

    def add_rows(self, rows: Sequence[PolicyRegisterRow], first_version: int) -> None: ...

    def register_page(self, where: RegisterSlice, limit: int) -> list[PolicyRegisterRow]: ...

    def register_count(self, where: RegisterSlice) -> int: ...

    def add_disclosures(self, version: int, rows: Sequence[PolicyDisclosure]) -> None: ...

    def disclosures_in_force(
        self, recipient_id: str, at: datetime, language: str
    ) -> list[DisclosureFact]: ...


class PolicyDocuments(Protocol):
    """Each version's compact documents and its entrustees' row versions (only ever added)."""

    def add_documents(self, version: int, contents: dict[str, dict[str, Any]]) -> None: ...

    def document(self, version: int, language: str) -> dict[str, Any] | None: ...

    def languages(self, version: int) -> list[str]: ...

    def current_hashes(self) -> dict[str, str]: ...

    def close_rows(self, recipient_ids: Iterable[str], last_version: int) -> None: ...

    def add_rows(self, rows: Sequence[EntrusteeRow], first_version: int) -> None: ...

    def page(self, where: EntrusteeSlice, limit: int) -> list[EntrusteeRow]: ...
