"""The marketplace's own webhook: where Gatehouse tells the operator that a customer is gone.

When a customer deletes the account (here or through the operator's API), the marketplace
must close its own account too. The deletion queues a ``subject.deleted`` event in its own
transaction; the worker delivers it like a recipient's webhook (Standard Webhooks signature,
the same retries and backoff). The event carries the marketplace's own customer id, so its
data is sealed under a key of its own until delivery and destroyed right after: the outbox
job holds only the event id, and nothing links the deleted subject to that id afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from gatehouse.domain.errors import InvalidInput
from gatehouse.domain.ids import new_id
from gatehouse.services.outbox import PermanentFailure, enqueue, handler
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.webhooks import encode_event, format_secret, post_event, valid_webhook_url
from gatehouse.store.outbox import Job
from gatehouse.store.outbox_tables import operator_events, operator_webhooks
from gatehouse.vault import FieldCipher, WrappedKey, new_data_key, unwrap_key, wrap_key

__all__ = [
    "DELIVER",
    "SUBJECT_DELETED_EVENT",
    "OperatorWebhook",
    "deliver",
    "enqueue_operator_event",
    "operator_event_context",
    "operator_webhook",
    "operator_webhook_context",
    "set_operator_webhook",
]

DELIVER = "operator_webhook.deliver"
SUBJECT_DELETED_EVENT = "subject.deleted"
_NAME = "marketplace"
_SCOPE = "operator_event"


def operator_webhook_context(name: str) -> str:
    """Associated data binding the wrapped signing secret to its webhook row."""
    return f"operator-webhook:{name}"


def operator_event_context(event_id: str) -> str:
    """Associated data binding an event's sealed data key to the event."""
    return f"operator-event:{event_id}"


@dataclass(frozen=True)
class OperatorWebhook:
    """Where the operator's events go; the secret is never part of it."""

    url: str | None
    updated_at: datetime | None


def operator_webhook(gh: Gatehouse) -> OperatorWebhook:
    """The operator's webhook URL, or an empty setting when none was given."""
    with gh.engine.connect() as connection:
        row = connection.execute(
            select(operator_webhooks.c.url, operator_webhooks.c.updated_at).where(
                operator_webhooks.c.name == _NAME
            )
        ).first()
    return OperatorWebhook(row.url, row.updated_at) if row else OperatorWebhook(None, None)


def set_operator_webhook(gh: Gatehouse, url: str) -> tuple[OperatorWebhook, str]:
    """Point the operator's events at ``url`` under a new secret; return both, the secret once.

    Events already queued are signed with the new secret when they go out.
    """
    valid = valid_webhook_url(url)
    if valid is None:
        raise InvalidInput(
            "url must be an absolute http(s) URL", code="invalid_url", details={"field": "url"}
        )
    now = gh.clock()
    fresh = new_data_key()
    wrapped = wrap_key(fresh, operator_webhook_context(_NAME), gh.keyring)
    values = {
        "url": valid,
        "secret_kek_id": wrapped.kek_id,
        "secret_wrapped": wrapped.blob,
        "updated_at": now,
    }
    replace = update(operator_webhooks).where(operator_webhooks.c.name == _NAME).values(**values)
    with gh.engine.begin() as connection:
        if connection.execute(replace).rowcount != 1:
            try:
                with connection.begin_nested():
                    connection.execute(insert(operator_webhooks).values(name=_NAME, **values))
            except IntegrityError:
                # A concurrent first setting won the insert; this one replaces it.
                connection.execute(replace)
    return OperatorWebhook(valid, now), format_secret(fresh)


def enqueue_operator_event(
    gh: Gatehouse,
    connection: Connection,
    *,
    event_type: str,
    data: Mapping[str, Any],
    deletion_id: str | None = None,
) -> str | None:
    """Seal ``data`` and queue its delivery, in the caller's transaction; return the event id.

    Returns None, and stores nothing, when the operator has no webhook: there is no one to
    tell, and sealed data waiting for an endpoint that may never come would be kept for nothing.
    """
    configured = connection.execute(
        select(operator_webhooks.c.name).where(operator_webhooks.c.name == _NAME)
    ).first()
    if configured is None:
        return None
    now = gh.clock()
    event_id = new_id("evt")
    key = new_data_key()
    sealed = FieldCipher(event_id, key).encrypt(
        _SCOPE, event_type, json.dumps(dict(data), ensure_ascii=False, sort_keys=True)
    )
    wrapped = wrap_key(key, operator_event_context(event_id), gh.keyring)
    connection.execute(
        insert(operator_events).values(
            id=event_id,
            event_type=event_type,
            deletion_id=deletion_id,
            kek_id=wrapped.kek_id,
            wrapped_key=wrapped.blob,
            ciphertext=sealed,
            created_at=now,
        )
    )
    enqueue(
        connection,
        kind=DELIVER,
        payload={"event_id": event_id},
        at=now,
        dedupe_key=f"operator-webhook:{event_id}",
    )
    return event_id


def _open(gh: Gatehouse, row: Any) -> dict[str, Any]:
    key = unwrap_key(
        WrappedKey(row.kek_id, row.wrapped_key), operator_event_context(row.id), gh.keyring
    )
    data: dict[str, Any] = json.loads(
        FieldCipher(row.id, key).decrypt(_SCOPE, row.event_type, row.ciphertext)
    )
    return data


@handler(DELIVER)
def deliver(gh: Gatehouse, job: Job) -> None:
    """POST one sealed event to the operator's endpoint, then destroy its data.

    A redelivered job whose event went out already does nothing: the data is gone, and the
    endpoint had it once.
    """
    event_id = job.payload.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        raise PermanentFailure("the job payload has no valid event_id")
    now = gh.clock()
    with gh.engine.connect() as connection:
        event = connection.execute(
            select(operator_events).where(operator_events.c.id == event_id)
        ).first()
        target = connection.execute(
            select(operator_webhooks).where(operator_webhooks.c.name == _NAME)
        ).first()
    if event is None:
        raise PermanentFailure("the event does not exist")
    if event.ciphertext is None:
        return
    if target is None:
        raise PermanentFailure("the operator has no webhook")
    secret = unwrap_key(
        WrappedKey(target.secret_kek_id, target.secret_wrapped),
        operator_webhook_context(_NAME),
        gh.keyring,
    )
    # The event time is when it was queued, so every attempt sends the same bytes.
    body = encode_event(event.event_type, event.created_at, _open(gh, event))
    post_event(target.url, [secret], event.id, body, now)
    with gh.engine.begin() as connection:
        connection.execute(
            update(operator_events)
            .where(operator_events.c.id == event_id)
            .values(kek_id=None, wrapped_key=None, ciphertext=None, delivered_at=now)
        )
