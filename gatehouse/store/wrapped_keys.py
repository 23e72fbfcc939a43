"""Every key wrapped by the master key outside subject data keys and vault secrets, by holder.

Rotating the master key re-wraps them all; each holder is a table with a key column and two
columns for the wrapped key. A row whose key was destroyed (a delivered event, a destroyed
retention record) holds none and is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, Table, select, update

from gatehouse.store.erasure_tables import retention_records
from gatehouse.store.outbox_tables import (
    operator_events,
    operator_webhooks,
    webhook_previous_secrets,
)
from gatehouse.store.tables import recipients
from gatehouse.vault import WrappedKey

__all__ = ["KeyHolder", "KEY_HOLDERS", "WrappedKeyRepository"]

KeyHolder = Literal[
    "recipient_webhook",
    "previous_webhook",
    "retention_record",
    "operator_webhook",
    "operator_event",
]


@dataclass(frozen=True)
class _Columns:
    table: Table
    key: str
    kek: str
    blob: str


_HOLDERS: dict[str, _Columns] = {
    "recipient_webhook": _Columns(
        recipients, "id", "webhook_secret_kek_id", "webhook_secret_wrapped"
    ),
    "previous_webhook": _Columns(webhook_previous_secrets, "recipient_id", "kek_id", "wrapped"),
    "retention_record": _Columns(retention_records, "id", "kek_id", "wrapped_key"),
    "operator_webhook": _Columns(operator_webhooks, "name", "secret_kek_id", "secret_wrapped"),
    "operator_event": _Columns(operator_events, "id", "kek_id", "wrapped_key"),
}

KEY_HOLDERS: tuple[KeyHolder, ...] = (
    "recipient_webhook",
    "previous_webhook",
    "retention_record",
    "operator_webhook",
    "operator_event",
)
"""Every holder, in the order a rotation visits them."""


class WrappedKeyRepository:
    """Finds and replaces wrapped keys of any holder on one connection."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def not_under(self, holder: KeyHolder, kek_id: str) -> list[tuple[str, WrappedKey]]:
        """``(row key, wrapped key)`` of every live key of ``holder`` wrapped by another
        master key than ``kek_id``."""
        spec = _HOLDERS[holder]
        c = spec.table.c
        rows = self._c.execute(
            select(c[spec.key], c[spec.kek], c[spec.blob]).where(
                c[spec.blob].is_not(None), c[spec.kek] != kek_id
            )
        ).all()
        return [(key, WrappedKey(kek_id=kek, blob=blob)) for key, kek, blob in rows]

    def replace(self, holder: KeyHolder, key: str, wrapped: WrappedKey) -> None:
        """Store ``wrapped`` as the key of ``holder``'s row ``key``."""
        spec = _HOLDERS[holder]
        c = spec.table.c
        self._c.execute(
            update(spec.table)
            .where(c[spec.key] == key)
            .values({spec.kek: wrapped.kek_id, spec.blob: wrapped.blob})
        )
