"""Master-key rotation: re-wrap every data key and secret under a new key, while serving.

Data keys are re-wrapped in small committed batches with a compare-and-swap, so readers
never wait on a long transaction and a key shredded mid-rotation simply drops out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Table, select, update

from gatehouse.services.ledger import LEDGER_SIGNING_SECRET
from gatehouse.services.operator_webhook import operator_event_context, operator_webhook_context
from gatehouse.services.recipients import webhook_secret_context
from gatehouse.services.retention import retention_context
from gatehouse.services.runtime import BLIND_INDEX_SECRET, Gatehouse
from gatehouse.services.webhooks import previous_webhook_secret_context
from gatehouse.store.erasure_tables import retention_records
from gatehouse.store.outbox_tables import (
    operator_events,
    operator_webhooks,
    webhook_previous_secrets,
)
from gatehouse.store.subjects import SubjectRepository, VaultSecretRepository
from gatehouse.store.tables import recipients
from gatehouse.vault import Keyring, WrappedKey, rewrap_key

__all__ = ["RotationReport", "rewrap_all"]

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RotationReport:
    """How many wrapped keys moved, and how many still name an older master key."""

    data_keys: int
    secrets: int
    remaining: int


def rewrap_all(
    gh: Gatehouse, keyring: Keyring, *, batch: int = 500, progress: Progress | None = None
) -> RotationReport:
    """Re-wrap everything under ``keyring.current``; ``progress(done, total)`` after each batch."""
    target = keyring.current.key_id
    with gh.engine.connect() as connection:
        total = SubjectRepository(connection).count_keys()
    done = moved = 0
    after = ""
    while True:
        with gh.engine.begin() as connection:
            repo = SubjectRepository(connection)
            rows = repo.keys_after(after, batch)
            for subject_id, wrapped in rows:
                if wrapped.kek_id != target:
                    new = rewrap_key(wrapped, subject_id, keyring)
                    moved += repo.replace_wrapped_key(subject_id, wrapped, new)
        if not rows:
            break
        after = rows[-1][0]
        done += len(rows)
        if progress is not None:
            progress(min(done, total), total)
    secrets = _rewrap_secrets(gh, keyring)
    with gh.engine.connect() as connection:
        remaining = SubjectRepository(connection).count_keys_not_under(target)
    return RotationReport(data_keys=moved, secrets=secrets, remaining=remaining)


@dataclass(frozen=True)
class _WrappedColumns:
    """Where a table keeps wrapped keys, and the vault context each row's key is bound to."""

    table: Table
    key: str
    kek: str
    blob: str
    context: Callable[[str], str]


# Every table holding a key wrapped by the master key, besides subject data keys.
_WRAPPED = (
    _WrappedColumns(
        recipients, "id", "webhook_secret_kek_id", "webhook_secret_wrapped", webhook_secret_context
    ),
    _WrappedColumns(
        webhook_previous_secrets,
        "recipient_id",
        "kek_id",
        "wrapped",
        previous_webhook_secret_context,
    ),
    # Destroyed retention records have no key left, so they drop out by themselves.
    _WrappedColumns(retention_records, "id", "kek_id", "wrapped_key", retention_context),
    _WrappedColumns(
        operator_webhooks, "name", "secret_kek_id", "secret_wrapped", operator_webhook_context
    ),
    # Delivered events have no key left either.
    _WrappedColumns(operator_events, "id", "kek_id", "wrapped_key", operator_event_context),
)


def _rewrap_table(connection: Connection, spec: _WrappedColumns, keyring: Keyring) -> int:
    c = spec.table.c
    rows = connection.execute(
        select(c[spec.key], c[spec.kek], c[spec.blob]).where(
            c[spec.blob].is_not(None), c[spec.kek] != keyring.current.key_id
        )
    ).all()
    for key, kek_id, blob in rows:
        new = rewrap_key(WrappedKey(kek_id=kek_id, blob=blob), spec.context(key), keyring)
        connection.execute(
            update(spec.table)
            .where(c[spec.key] == key)
            .values({spec.kek: new.kek_id, spec.blob: new.blob})
        )
    return len(rows)


def _rewrap_secrets(gh: Gatehouse, keyring: Keyring) -> int:
    moved = 0
    with gh.engine.begin() as connection:
        secrets = VaultSecretRepository(connection)
        for name in (BLIND_INDEX_SECRET, LEDGER_SIGNING_SECRET):
            wrapped = secrets.get(name)
            if wrapped is not None and wrapped.kek_id != keyring.current.key_id:
                secrets.replace(name, rewrap_key(wrapped, name, keyring))
                moved += 1
        for spec in _WRAPPED:
            moved += _rewrap_table(connection, spec, keyring)
    return moved
