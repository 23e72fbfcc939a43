"""Where recipients' webhooks go and the secrets that sign them, current and previous.

The current secret sits on the recipient's row; a rotated-out one waits in
``webhook_previous_secrets`` until its grace period ends. Both are stored wrapped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from gatehouse.store.generations import REGISTRY, bump
from gatehouse.store.outbox_tables import webhook_previous_secrets
from gatehouse.store.tables import recipients
from gatehouse.vault import WrappedKey

__all__ = ["WebhookEndpoint", "PreviousSecret", "WebhookEndpointRepository"]


@dataclass(frozen=True)
class WebhookEndpoint:
    """A recipient's webhook URL and its current signing secret (None for either: not set)."""

    url: str | None
    secret: WrappedKey | None


@dataclass(frozen=True)
class PreviousSecret:
    """A rotated-out secret that still signs until ``expires_at``."""

    secret: WrappedKey
    expires_at: datetime


class WebhookEndpointRepository:
    """Reads and writes recipients' webhook settings on one connection."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def endpoint(self, recipient_id: str) -> WebhookEndpoint | None:
        """The recipient's URL and current secret; None when there is no such recipient."""
        row = self._c.execute(
            select(
                recipients.c.webhook_url,
                recipients.c.webhook_secret_kek_id,
                recipients.c.webhook_secret_wrapped,
            ).where(recipients.c.id == recipient_id)
        ).first()
        if row is None:
            return None
        secret = None
        if row.webhook_secret_wrapped is not None:
            secret = WrappedKey(row.webhook_secret_kek_id, row.webhook_secret_wrapped)
        return WebhookEndpoint(row.webhook_url, secret)

    def lock(self, recipient_id: str) -> bool:
        """Lock the recipient's row for this transaction; False when there is no such row.

        A write, not ``FOR UPDATE``: it locks the row on PostgreSQL and the database on
        SQLite, so two rotations at once take turns and neither loses the other's secret.
        """
        locked = self._c.execute(
            update(recipients)
            .where(recipients.c.id == recipient_id)
            .values(webhook_secret_kek_id=recipients.c.webhook_secret_kek_id)
        )
        return locked.rowcount == 1

    def set_url(self, recipient_id: str, url: str | None, at: datetime) -> bool:
        """Point the recipient's webhooks at ``url``; False when there is no such recipient."""
        changed = self._c.execute(
            update(recipients)
            .where(recipients.c.id == recipient_id)
            .values(webhook_url=url, updated_at=at)
        )
        bump(self._c, REGISTRY)  # the recipient the decision reads carries its webhook
        return changed.rowcount == 1

    def set_secret(self, recipient_id: str, secret: WrappedKey, at: datetime) -> None:
        """Replace the recipient's current secret."""
        self._c.execute(
            update(recipients)
            .where(recipients.c.id == recipient_id)
            .values(
                webhook_secret_kek_id=secret.kek_id,
                webhook_secret_wrapped=secret.blob,
                updated_at=at,
            )
        )

    def previous_secret(self, recipient_id: str, now: datetime) -> PreviousSecret | None:
        """The rotated-out secret still in its grace period at ``now``, or None."""
        row = self._c.execute(
            select(webhook_previous_secrets).where(
                webhook_previous_secrets.c.recipient_id == recipient_id,
                webhook_previous_secrets.c.expires_at > now,
            )
        ).first()
        if row is None:
            return None
        return PreviousSecret(WrappedKey(row.kek_id, row.wrapped), row.expires_at)

    def keep_previous(
        self, recipient_id: str, secret: WrappedKey | None, expires_at: datetime
    ) -> None:
        """Make ``secret`` the recipient's one previous secret (None: keep none)."""
        self._c.execute(
            delete(webhook_previous_secrets).where(
                webhook_previous_secrets.c.recipient_id == recipient_id
            )
        )
        if secret is not None:
            self._c.execute(
                insert(webhook_previous_secrets).values(
                    recipient_id=recipient_id,
                    kek_id=secret.kek_id,
                    wrapped=secret.blob,
                    expires_at=expires_at,
                )
            )

    def prune_previous(self, now: datetime) -> int:
        """Delete previous secrets whose grace period is over; returns how many."""
        result = self._c.execute(
            delete(webhook_previous_secrets).where(webhook_previous_secrets.c.expires_at <= now)
        )
        return int(result.rowcount)
