"""Events for the marketplace's own webhook, stored sealed until the worker delivers them.

Only the storing is here; queueing the delivery is the outbox's (see
:class:`gatehouse.services.sql_unit_of_work.SqlOperatorEvents`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select

from gatehouse.store.outbox_tables import operator_events, operator_webhooks
from gatehouse.vault import WrappedKey

__all__ = ["MARKETPLACE_WEBHOOK", "SealedEvent", "OperatorEventRepository"]

MARKETPLACE_WEBHOOK = "marketplace"
"""The name of the operator's one webhook row."""


@dataclass(frozen=True)
class SealedEvent:
    """An event whose data is sealed under a key of its own, wrapped by the master key."""

    id: str
    event_type: str
    deletion_id: str | None
    key: WrappedKey
    ciphertext: bytes
    created_at: datetime


class OperatorEventRepository:
    """Stores sealed events for the operator's webhook, on one connection."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def webhook_set(self) -> bool:
        """Whether the operator gave a webhook; with none, there is no one to tell."""
        found = self._c.execute(
            select(operator_webhooks.c.name).where(operator_webhooks.c.name == MARKETPLACE_WEBHOOK)
        ).first()
        return found is not None

    def add(self, event: SealedEvent) -> None:
        """Store a sealed event, not yet delivered."""
        self._c.execute(
            insert(operator_events).values(
                id=event.id,
                event_type=event.event_type,
                deletion_id=event.deletion_id,
                kek_id=event.key.kek_id,
                wrapped_key=event.key.blob,
                ciphertext=event.ciphertext,
                created_at=event.created_at,
            )
        )
