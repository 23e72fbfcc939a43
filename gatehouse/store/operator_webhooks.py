"""The marketplace's own webhook: its URL and signing secret, and its events' delivery.

Storing a sealed event is in ``operator_events``; this module reads events back for delivery
and destroys their data once delivered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from gatehouse.store.operator_events import MARKETPLACE_WEBHOOK
from gatehouse.store.outbox_tables import operator_events, operator_webhooks
from gatehouse.vault import WrappedKey

__all__ = ["OperatorWebhookSetting", "StoredEvent", "OperatorWebhookRepository"]


@dataclass(frozen=True)
class OperatorWebhookSetting:
    """Where the operator's events go, and the wrapped secret that signs them."""

    url: str
    secret: WrappedKey
    updated_at: datetime


@dataclass(frozen=True)
class StoredEvent:
    """An event for the operator's webhook; its key and data are gone once delivered."""

    id: str
    event_type: str
    deletion_id: str | None
    key: WrappedKey | None
    ciphertext: bytes | None
    created_at: datetime
    delivered_at: datetime | None


class OperatorWebhookRepository:
    """The operator's webhook row and its events, on one connection."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def setting(self) -> OperatorWebhookSetting | None:
        """The operator's webhook, or None when none was given."""
        row = self._c.execute(
            select(operator_webhooks).where(operator_webhooks.c.name == MARKETPLACE_WEBHOOK)
        ).first()
        if row is None:
            return None
        secret = WrappedKey(row.secret_kek_id, row.secret_wrapped)
        return OperatorWebhookSetting(row.url, secret, row.updated_at)

    def save(self, url: str, secret: WrappedKey, at: datetime) -> None:
        """Set the operator's webhook, replacing any earlier one."""
        values = {
            "url": url,
            "secret_kek_id": secret.kek_id,
            "secret_wrapped": secret.blob,
            "updated_at": at,
        }
        replace = (
            update(operator_webhooks)
            .where(operator_webhooks.c.name == MARKETPLACE_WEBHOOK)
            .values(**values)
        )
        if self._c.execute(replace).rowcount == 1:
            return
        try:
            # A savepoint, so a clash does not abort the caller's transaction on PostgreSQL.
            with self._c.begin_nested():
                self._c.execute(
                    insert(operator_webhooks).values(name=MARKETPLACE_WEBHOOK, **values)
                )
        except IntegrityError:
            # A concurrent first setting won the insert; this one replaces it.
            self._c.execute(replace)

    def event(self, event_id: str) -> StoredEvent | None:
        """One event, delivered or not, or None."""
        row = self._c.execute(
            select(operator_events).where(operator_events.c.id == event_id)
        ).first()
        if row is None:
            return None
        key = None if row.wrapped_key is None else WrappedKey(row.kek_id, row.wrapped_key)
        return StoredEvent(
            id=row.id,
            event_type=row.event_type,
            deletion_id=row.deletion_id,
            key=key,
            ciphertext=row.ciphertext,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
        )

    def mark_delivered(self, event_id: str, at: datetime) -> None:
        """Destroy a delivered event's key and data, keeping only that it went out, and when."""
        self._c.execute(
            update(operator_events)
            .where(operator_events.c.id == event_id)
            .values(kek_id=None, wrapped_key=None, ciphertext=None, delivered_at=at)
        )
