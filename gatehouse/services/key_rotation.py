"""Master-key rotation: re-wrap every data key and secret under a new key, while serving.

Data keys are re-wrapped in small committed batches with a compare-and-swap, so readers
never wait on a long transaction and a key shredded mid-rotation simply drops out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, select, update

from gatehouse.services.ledger import LEDGER_SIGNING_SECRET
from gatehouse.services.recipients import webhook_secret_context
from gatehouse.services.retention import retention_context
from gatehouse.services.runtime import BLIND_INDEX_SECRET, Gatehouse
from gatehouse.services.webhooks import previous_webhook_secret_context
from gatehouse.store.outbox_tables import webhook_previous_secrets
from gatehouse.store.subjects import SubjectRepository, VaultSecretRepository
from gatehouse.store.tables import recipients, retention_records
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


def _rewrap_secrets(gh: Gatehouse, keyring: Keyring) -> int:
    moved = 0
    with gh.engine.begin() as connection:
        secrets = VaultSecretRepository(connection)
        for name in (BLIND_INDEX_SECRET, LEDGER_SIGNING_SECRET):
            wrapped = secrets.get(name)
            if wrapped is not None and wrapped.kek_id != keyring.current.key_id:
                secrets.replace(name, rewrap_key(wrapped, name, keyring))
                moved += 1
        rows = connection.execute(
            select(
                recipients.c.id,
                recipients.c.webhook_secret_kek_id,
                recipients.c.webhook_secret_wrapped,
            ).where(
                recipients.c.webhook_secret_wrapped.is_not(None),
                recipients.c.webhook_secret_kek_id != keyring.current.key_id,
            )
        ).all()
        for row in rows:
            old = WrappedKey(kek_id=row.webhook_secret_kek_id, blob=row.webhook_secret_wrapped)
            new = rewrap_key(old, webhook_secret_context(row.id), keyring)
            connection.execute(
                update(recipients)
                .where(recipients.c.id == row.id)
                .values(webhook_secret_kek_id=new.kek_id, webhook_secret_wrapped=new.blob)
            )
            moved += 1
        moved += _rewrap_retention(connection, keyring)
        moved += _rewrap_previous_webhook_secrets(connection, keyring)
    return moved


def _rewrap_previous_webhook_secrets(connection: Connection, keyring: Keyring) -> int:
    """Re-wrap webhook secrets still honoured during a recipient's secret rotation."""
    rows = connection.execute(
        select(webhook_previous_secrets).where(
            webhook_previous_secrets.c.kek_id != keyring.current.key_id
        )
    ).all()
    for row in rows:
        old = WrappedKey(kek_id=row.kek_id, blob=row.wrapped)
        new = rewrap_key(old, previous_webhook_secret_context(row.recipient_id), keyring)
        connection.execute(
            update(webhook_previous_secrets)
            .where(webhook_previous_secrets.c.recipient_id == row.recipient_id)
            .values(kek_id=new.kek_id, wrapped=new.blob)
        )
    return len(rows)


def _rewrap_retention(connection: Connection, keyring: Keyring) -> int:
    """Re-wrap the keys of live retention records (destroyed ones have none left)."""
    moved = 0
    rows = connection.execute(
        select(
            retention_records.c.id, retention_records.c.kek_id, retention_records.c.wrapped_key
        ).where(
            retention_records.c.wrapped_key.is_not(None),
            retention_records.c.kek_id != keyring.current.key_id,
        )
    ).all()
    for row in rows:
        old = WrappedKey(kek_id=row.kek_id, blob=row.wrapped_key)
        new = rewrap_key(old, retention_context(row.id), keyring)
        connection.execute(
            update(retention_records)
            .where(retention_records.c.id == row.id)
            .values(kek_id=new.kek_id, wrapped_key=new.blob)
        )
        moved += 1
    return moved
