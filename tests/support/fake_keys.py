"""In-memory keys, secrets and sessions: API keys, vault secrets, the keys a master-key
rotation re-wraps, abuse flags, and the portal's and console's browser sessions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from gatehouse.services.ports import DuplicateKey
from gatehouse.store.abuse import AbuseFlag
from gatehouse.store.api_keys import ApiKeyRecord
from gatehouse.store.browser_sessions import StoredSession
from gatehouse.store.wrapped_keys import KeyHolder
from gatehouse.vault import WrappedKey
from tests.support.fake_tables import FakeRepository

__all__ = [
    "FakeApiKeys",
    "FakeVaultSecrets",
    "FakeWrappedKeys",
    "FakeAbuseFlags",
    "FakePortalSessions",
    "FakeConsoleSessions",
]


class FakeApiKeys(FakeRepository):
    def add(
        self,
        *,
        key_id: str,
        audience: str,
        recipient_id: str | None,
        key_hash: str,
        prefix: str,
        label: str | None,
        at: datetime,
    ) -> None:
        self._hook("add")
        clash = any(k["key_hash"] == key_hash for k in self.t.api_keys.values())
        if key_id in self.t.api_keys or clash:
            raise DuplicateKey(f"api key {key_id} or its hash exists")
        self.t.api_keys[key_id] = {
            "id": key_id,
            "audience": audience,
            "recipient_id": recipient_id,
            "key_hash": key_hash,
            "prefix": prefix,
            "label": label,
            "created_at": at,
            "revoked_at": None,
        }

    def find_by_hash(self, key_hash: str) -> ApiKeyRecord | None:
        for k in self.t.api_keys.values():
            if k["key_hash"] == key_hash:
                return ApiKeyRecord(
                    k["id"], k["audience"], k["recipient_id"], k["prefix"], k["revoked_at"]
                )
        return None

    def revoke_for_recipient(self, recipient_id: str, at: datetime) -> int:
        self._hook("revoke_for_recipient")
        live = [
            k
            for k in self.t.api_keys.values()
            if k["recipient_id"] == recipient_id and k["revoked_at"] is None
        ]
        for k in live:
            k["revoked_at"] = at
        return len(live)


class FakeVaultSecrets(FakeRepository):
    def get(self, name: str) -> WrappedKey | None:
        return self.t.vault_secrets.get(name)

    def add(self, name: str, wrapped: WrappedKey, at: datetime) -> None:
        self._hook("add")
        if name in self.t.vault_secrets:
            raise DuplicateKey(f"vault secret {name} exists")
        self.t.vault_secrets[name] = wrapped

    def replace(self, name: str, wrapped: WrappedKey) -> None:
        self._hook("replace")
        if name in self.t.vault_secrets:
            self.t.vault_secrets[name] = wrapped


class FakeWrappedKeys(FakeRepository):
    """The holders a rotation visits, over the fake's tables (only those the fakes keep)."""

    def _holder(self, holder: KeyHolder) -> dict[str, WrappedKey]:
        t = self.t
        if holder == "recipient_webhook":
            return dict(t.webhook_secrets)
        if holder == "previous_webhook":
            return {rid: kept[0] for rid, kept in t.previous_secrets.items()}
        if holder == "operator_webhook":
            row = t.operator_webhook
            return {"marketplace": row["secret"]} if row and "secret" in row else {}
        if holder == "operator_event":
            return {
                eid: WrappedKey(row["kek_id"], row["wrapped_key"])
                for eid, row in t.operator_events.items()
                if row["wrapped_key"] is not None
            }
        return {
            rid: WrappedKey(r.kek_id, r.wrapped_key)
            for rid, r in t.retention_records.items()
            if r.wrapped_key is not None and r.kek_id is not None
        }

    def not_under(self, holder: KeyHolder, kek_id: str) -> list[tuple[str, WrappedKey]]:
        keys = self._holder(holder)
        return [(key, wrapped) for key, wrapped in sorted(keys.items()) if wrapped.kek_id != kek_id]

    def replace(self, holder: KeyHolder, key: str, wrapped: WrappedKey) -> None:
        self._hook("replace")
        t = self.t
        if holder == "recipient_webhook":
            t.webhook_secrets[key] = wrapped
        elif holder == "previous_webhook":
            t.previous_secrets[key] = (wrapped, t.previous_secrets[key][1])
        elif holder == "operator_webhook":
            assert t.operator_webhook is not None
            t.operator_webhook["secret"] = wrapped
        elif holder == "operator_event":
            t.operator_events[key].update(kek_id=wrapped.kek_id, wrapped_key=wrapped.blob)
        else:
            record = t.retention_records[key]
            t.retention_records[key] = replace(
                record, kek_id=wrapped.kek_id, wrapped_key=wrapped.blob
            )


class FakeAbuseFlags(FakeRepository):
    def count_since(self, recipient_id: str, kind: str, since: datetime) -> int:
        return sum(
            f.recipient_id == recipient_id and f.kind == kind and f.at >= since
            for f in self.t.abuse_flags
        )

    def add(self, recipient_id: str, kind: str, detail: Mapping[str, Any], at: datetime) -> None:
        self._hook("add")
        self.t.abuse_flags.append(AbuseFlag(recipient_id, kind, dict(detail), at))

    def recent(self, recipient_id: str | None, limit: int) -> list[AbuseFlag]:
        mine = [f for f in self.t.abuse_flags if recipient_id in (None, "", f.recipient_id)]
        return list(reversed(mine))[:limit]


class _FakeSessions(FakeRepository):
    table = "portal"

    def add(
        self,
        *,
        token_hash: str,
        key_id: str,
        recipient_id: str | None,
        created_at: datetime,
        expires_at: datetime,
    ) -> None:
        self._hook("add")
        if (self.table == "portal") != (recipient_id is not None):
            raise ValueError(f"a {self.table} session names a recipient only on the portal")
        if (self.table, token_hash) in self.t.sessions:
            raise DuplicateKey("session token exists")
        self.t.sessions[(self.table, token_hash)] = {
            "key_id": key_id,
            "recipient_id": recipient_id,
            "created_at": created_at,
            "expires_at": expires_at,
            "revoked_at": None,
        }

    def find(self, token_hash: str) -> StoredSession | None:
        row = self.t.sessions.get((self.table, token_hash))
        if row is None:
            return None
        key = self.t.api_keys[row["key_id"]]
        return StoredSession(
            key_id=row["key_id"],
            recipient_id=row["recipient_id"],
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            revoked_at=row["revoked_at"],
            key_audience=key["audience"],
            key_recipient_id=key["recipient_id"],
            key_revoked_at=key["revoked_at"],
        )

    def revoke(self, token_hash: str, at: datetime) -> bool:
        self._hook("revoke")
        row = self.t.sessions.get((self.table, token_hash))
        if row is None or row["revoked_at"] is not None:
            return False
        row["revoked_at"] = at
        return True

    def purge_expired(self, now: datetime) -> int:
        self._hook("purge_expired")
        gone = [
            k
            for k, row in self.t.sessions.items()
            if k[0] == self.table and row["expires_at"] <= now
        ]
        for k in gone:
            del self.t.sessions[k]
        return len(gone)


class FakePortalSessions(_FakeSessions):
    table = "portal"


class FakeConsoleSessions(_FakeSessions):
    table = "console"
