"""Master-key rotation: re-wrap every data key and secret under a new key, while serving.

Data keys are re-wrapped in small batches, each its own unit of work, with a
compare-and-swap, so readers never wait on a long transaction and a key shredded
mid-rotation simply drops out. The operator-wide secrets and the other wrapped keys follow
in one last unit of work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gatehouse.services.ledger import LEDGER_SIGNING_SECRET
from gatehouse.services.operator_webhook import operator_event_context, operator_webhook_context
from gatehouse.services.recipients import webhook_secret_context
from gatehouse.services.retention import retention_context
from gatehouse.services.runtime import BLIND_INDEX_SECRET, Gatehouse
from gatehouse.services.unit_of_work import UnitOfWork
from gatehouse.services.webhooks import previous_webhook_secret_context
from gatehouse.store.wrapped_keys import KEY_HOLDERS, KeyHolder
from gatehouse.vault import Keyring, rewrap_key

__all__ = ["RotationReport", "rewrap_all"]

Progress = Callable[[int, int], None]

# The vault context each holder's keys are bound to, by the holder's row key.
_CONTEXTS: dict[KeyHolder, Callable[[str], str]] = {
    "recipient_webhook": webhook_secret_context,
    "previous_webhook": previous_webhook_secret_context,
    "retention_record": retention_context,
    "operator_webhook": operator_webhook_context,
    "operator_event": operator_event_context,
}


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
    with gh.unit_of_work(read_only=True) as uow:
        total = uow.subjects.count_keys()
    done = moved = 0
    after = ""
    while True:
        with gh.unit_of_work() as uow:
            rows = uow.subjects.keys_after(after, batch)
            for subject_id, wrapped in rows:
                if wrapped.kek_id != target:
                    new = rewrap_key(wrapped, subject_id, keyring)
                    moved += uow.subjects.replace_wrapped_key(subject_id, wrapped, new)
        if not rows:
            break
        after = rows[-1][0]
        done += len(rows)
        if progress is not None:
            progress(min(done, total), total)
    with gh.unit_of_work() as uow:
        secrets = _rewrap_secrets(uow, keyring)
    with gh.unit_of_work(read_only=True) as uow:
        remaining = uow.subjects.count_keys_not_under(target)
    return RotationReport(data_keys=moved, secrets=secrets, remaining=remaining)


def _rewrap_secrets(uow: UnitOfWork, keyring: Keyring) -> int:
    moved = 0
    current = keyring.current.key_id
    for name in (BLIND_INDEX_SECRET, LEDGER_SIGNING_SECRET):
        wrapped = uow.vault_secrets.get(name)
        if wrapped is not None and wrapped.kek_id != current:
            uow.vault_secrets.replace(name, rewrap_key(wrapped, name, keyring))
            moved += 1
    for holder in KEY_HOLDERS:
        context = _CONTEXTS[holder]
        for key, wrapped in uow.wrapped_keys.not_under(holder, current):
            uow.wrapped_keys.replace(holder, key, rewrap_key(wrapped, context(key), keyring))
            moved += 1
    return moved
