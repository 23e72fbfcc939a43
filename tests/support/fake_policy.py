"""The in-memory privacy policy: versions in a list, register rows with their version range."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from gatehouse.domain.decision import DisclosureFact
from gatehouse.store.policy_documents import EntrusteeRow, EntrusteeSlice
from gatehouse.store.privacy_policies import (
    PolicyDisclosure,
    PolicyRegisterRow,
    RegisterSlice,
    StoredPolicy,
)
from tests.support.fake_tables import FakeRepository

__all__ = ["FakePolicies", "FakePolicyDocuments", "RangedEntrustee", "RangedRow"]


@dataclass
class RangedRow:
    """A register row and the versions it belongs to (``last`` None while current)."""

    row: PolicyRegisterRow
    first: int
    last: int | None


def _valid(r: RangedRow, version: int) -> bool:
    return r.first <= version and (r.last is None or r.last >= version)


def _trimmed(policy: StoredPolicy | None, with_documents: bool) -> StoredPolicy | None:
    """As the SQL repository answers: without the documents unless asked for."""
    if policy is None or with_documents:
        return policy
    return replace(policy, documents={})


class FakePolicies(FakeRepository):
    """Published policy versions, oldest first, and the register's row versions."""

    def latest(self, *, with_documents: bool = True) -> StoredPolicy | None:
        self._hook("latest")
        latest = self.t.policy_versions[-1] if self.t.policy_versions else None
        return _trimmed(latest, with_documents)

    def get(self, version: int, *, with_documents: bool = True) -> StoredPolicy | None:
        self._hook("get")
        found = next((p for p in self.t.policy_versions if p.version == version), None)
        return _trimmed(found, with_documents)

    def in_force(self, at: datetime, *, with_documents: bool = True) -> StoredPolicy | None:
        self._hook("in_force")
        due = [p for p in self.t.policy_versions if p.effective_at <= at]
        return _trimmed(due[-1] if due else None, with_documents)

    def history(self) -> list[StoredPolicy]:
        self._hook("history")
        return list(reversed(self.t.policy_versions))

    def append(self, policy: StoredPolicy) -> None:
        self._hook("append")
        if any(p.version == policy.version for p in self.t.policy_versions):
            raise AssertionError(f"policy version {policy.version} exists")
        self.t.policy_versions.append(policy)

    def current_hashes(self) -> dict[str, str]:
        self._hook("current_hashes")
        return {
            r.row.recipient_id: r.row.row_hash for r in self.t.policy_register if r.last is None
        }

    def close_rows(self, recipient_ids: Iterable[str], last_version: int) -> None:
        self._hook("close_rows")
        ids = set(recipient_ids)
        for r in self.t.policy_register:
            if r.last is None and r.row.recipient_id in ids:
                r.last = last_version

    def add_rows(self, rows: Sequence[PolicyRegisterRow], first_version: int) -> None:
        self._hook("add_rows")
        self.t.policy_register.extend(RangedRow(r, first_version, None) for r in rows)

    def _matching(self, where: RegisterSlice) -> list[PolicyRegisterRow]:
        rows = [r.row for r in self.t.policy_register if _valid(r, where.version)]
        if where.country is not None:
            rows = [r for r in rows if r.country == where.country]
        if where.search:
            rows = [r for r in rows if where.search in r.name_key]
        return sorted(rows, key=lambda r: (r.country, r.name_key, r.recipient_id))

    def register_page(self, where: RegisterSlice, limit: int) -> list[PolicyRegisterRow]:
        self._hook("register_page")
        rows = self._matching(where)
        if where.after is not None:
            rows = [r for r in rows if (r.country, r.name_key, r.recipient_id) > where.after]
        return rows[:limit]

    def register_count(self, where: RegisterSlice) -> int:
        self._hook("register_count")
        return len(self._matching(where))

    def add_disclosures(self, version: int, rows: Sequence[PolicyDisclosure]) -> None:
        self._hook("add_disclosures")
        self.t.policy_disclosures.extend((version, r) for r in rows)

    def disclosures_in_force(
        self, recipient_id: str, at: datetime, language: str
    ) -> list[DisclosureFact]:
        self._hook("disclosures_in_force")
        due = [p for p in self.t.policy_versions if p.effective_at <= at]
        if not due:
            return []
        policy = due[-1]
        return [
            DisclosureFact(
                notice_hash=policy.content_hash,
                purpose=r.purpose,
                recipients={recipient_id: r.fingerprint},
                flow=r.flow,
                language=language,
                content_digest=r.content_digest,
            )
            for version, r in self.t.policy_disclosures
            if version == policy.version and r.recipient_id == recipient_id
        ]


@dataclass
class RangedEntrustee:
    """An entrustee's row and the versions it belongs to (``last`` None while current)."""

    row: EntrusteeRow
    first: int
    last: int | None


class FakePolicyDocuments(FakeRepository):
    """Compact documents by (version, language) and the entrustees' row versions."""

    def add_documents(self, version: int, contents: dict[str, dict[str, Any]]) -> None:
        self._hook("add_documents")
        for language, content in contents.items():
            self.t.policy_documents[(version, language)] = content

    def document(self, version: int, language: str) -> dict[str, Any] | None:
        self._hook("document")
        return self.t.policy_documents.get((version, language))

    def languages(self, version: int) -> list[str]:
        self._hook("languages")
        return sorted(lang for v, lang in self.t.policy_documents if v == version)

    def current_hashes(self) -> dict[str, str]:
        self._hook("current_hashes")
        return {
            r.row.recipient_id: r.row.row_hash for r in self.t.policy_entrustees if r.last is None
        }

    def close_rows(self, recipient_ids: Iterable[str], last_version: int) -> None:
        self._hook("close_rows")
        ids = set(recipient_ids)
        for r in self.t.policy_entrustees:
            if r.last is None and r.row.recipient_id in ids:
                r.last = last_version

    def add_rows(self, rows: Sequence[EntrusteeRow], first_version: int) -> None:
        self._hook("add_rows")
        self.t.policy_entrustees.extend(RangedEntrustee(r, first_version, None) for r in rows)

    def page(self, where: EntrusteeSlice, limit: int) -> list[EntrusteeRow]:
        self._hook("page")
        v = where.version
        rows = [
            r.row
            for r in self.t.policy_entrustees
            if r.first <= v and (r.last is None or r.last >= v)
        ]
        if where.abroad:
            rows = [r for r in rows if r.abroad]
        if where.search:
            rows = [r for r in rows if where.search in r.name_key]
        if where.after is not None:
            rows = [r for r in rows if (r.name_key, r.recipient_id) > where.after]
        return sorted(rows, key=lambda r: (r.name_key, r.recipient_id))[:limit]
