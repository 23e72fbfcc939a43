"""API key rows. Only SHA-256 hashes of keys are stored (invariant 6).

Processes keep live keys in memory (:mod:`gatehouse.services.key_cache`), so whatever takes a
key out of use moves the registry's generation in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from gatehouse.store.generations import REGISTRY, bump
from gatehouse.store.tables import api_keys

__all__ = ["ApiKeyRecord", "ApiKeyRepository"]


@dataclass(frozen=True)
class ApiKeyRecord:
    """A stored key: whose it is, never the key itself."""

    id: str
    audience: str
    recipient_id: str | None
    prefix: str
    revoked_at: datetime | None


class ApiKeyRepository:
    """Stores and finds API keys by hash."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

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
        """Store a new key's hash."""
        self._c.execute(
            insert(api_keys).values(
                id=key_id,
                audience=audience,
                recipient_id=recipient_id,
                key_hash=key_hash,
                prefix=prefix,
                label=label,
                created_at=at,
            )
        )

    def find_by_hash(self, key_hash: str) -> ApiKeyRecord | None:
        """The key with this hash, revoked or not."""
        row = self._c.execute(select(api_keys).where(api_keys.c.key_hash == key_hash)).first()
        if row is None:
            return None
        return ApiKeyRecord(row.id, row.audience, row.recipient_id, row.prefix, row.revoked_at)

    def revoke_for_recipient(self, recipient_id: str, at: datetime) -> int:
        """Revoke every live key of a recipient; returns how many. Moves the registry's
        generation when any was live, so no process trusts a remembered copy any more."""
        result = self._c.execute(
            update(api_keys)
            .where(api_keys.c.recipient_id == recipient_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        revoked: int = result.rowcount
        if revoked:
            bump(self._c, REGISTRY)
        return revoked
