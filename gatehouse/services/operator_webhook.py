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

from gatehouse.domain.errors import InvalidInput
from gatehouse.domain.ids import new_id
from gatehouse.services.outbox import PermanentFailure, handler
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.unit_of_work import UnitOfWork
from gatehouse.services.webhook_address import check_registration
from gatehouse.services.webhooks import encode_event, format_secret, post_event, valid_webhook_url
from gatehouse.store.operator_events import MARKETPLACE_WEBHOOK, SealedEvent
from gatehouse.store.operator_webhooks import StoredEvent
from gatehouse.store.outbox import Job
from gatehouse.vault import FieldCipher, new_data_key, unwrap_key, wrap_key

__all__ = [
    "DELIVER",
    "OPERATOR_EVENT_SCOPE",
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
OPERATOR_EVENT_SCOPE = "operator_event"
"""The vault scope an event's data is sealed under (see :func:`enqueue_operator_event`)."""
_NAME = MARKETPLACE_WEBHOOK


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
    with gh.unit_of_work(read_only=True) as uow:
        setting = uow.operator_webhooks.setting()
    return (
        OperatorWebhook(setting.url, setting.updated_at) if setting else OperatorWebhook(None, None)
    )


def set_operator_webhook(gh: Gatehouse, url: str) -> tuple[OperatorWebhook, str]:
    """Point the operator's events at ``url`` under a new secret; return both, the secret once.

    Events already queued are signed with the new secret when they go out. A URL outside
    the egress policy (:mod:`webhook_address`) is refused.
    """
    valid = valid_webhook_url(url)
    if valid is None:
        raise InvalidInput(
            "url must be an absolute http(s) URL", code="invalid_url", details={"field": "url"}
        )
    check_registration(valid, gh.webhook_egress, "url")
    now = gh.clock()
    fresh = new_data_key()
    wrapped = wrap_key(fresh, operator_webhook_context(_NAME), gh.keyring)
    with gh.unit_of_work() as uow:
        uow.operator_webhooks.save(valid, wrapped, now)
    return OperatorWebhook(valid, now), format_secret(fresh)


def enqueue_operator_event(
    gh: Gatehouse,
    uow: UnitOfWork,
    *,
    event_type: str,
    data: Mapping[str, Any],
    deletion_id: str | None = None,
) -> str | None:
    """Seal ``data`` and queue its delivery, in the caller's unit of work; return the event id.

    Returns None, and stores nothing, when the operator has no webhook: there is no one to
    tell, and sealed data waiting for an endpoint that may never come would be kept for nothing.
    """
    if not uow.operator_events.webhook_set():
        return None
    event_id = new_id("evt")
    key = new_data_key()
    sealed = FieldCipher(event_id, key).encrypt(
        OPERATOR_EVENT_SCOPE,
        event_type,
        json.dumps(dict(data), ensure_ascii=False, sort_keys=True),
    )
    uow.operator_events.enqueue(
        SealedEvent(
            id=event_id,
            event_type=event_type,
            deletion_id=deletion_id,
            key=wrap_key(key, operator_event_context(event_id), gh.keyring),
            ciphertext=sealed,
            created_at=gh.clock(),
        )
    )
    return event_id


def _open(gh: Gatehouse, event: StoredEvent) -> dict[str, Any]:
    assert event.key is not None and event.ciphertext is not None
    key = unwrap_key(event.key, operator_event_context(event.id), gh.keyring)
    data: dict[str, Any] = json.loads(
        FieldCipher(event.id, key).decrypt(OPERATOR_EVENT_SCOPE, event.event_type, event.ciphertext)
    )
    return data


@handler(DELIVER)
def deliver(gh: Gatehouse, job: Job) -> None:
    """POST one sealed event to the operator's endpoint, then destroy its data.

    A redelivered job whose event went out already does nothing: the data is gone, and the
    endpoint had it once. The POST happens outside any transaction; the destruction after it
    is a unit of work of its own.
    """
    event_id = job.payload.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        raise PermanentFailure("the job payload has no valid event_id")
    now = gh.clock()
    with gh.unit_of_work(read_only=True) as uow:
        event = uow.operator_webhooks.event(event_id)
        target = uow.operator_webhooks.setting()
    if event is None:
        raise PermanentFailure("the event does not exist")
    if event.ciphertext is None:
        return
    if target is None:
        raise PermanentFailure("the operator has no webhook")
    secret = unwrap_key(target.secret, operator_webhook_context(_NAME), gh.keyring)
    # The event time is when it was queued, so every attempt sends the same bytes.
    body = encode_event(event.event_type, event.created_at, _open(gh, event))
    post_event(target.url, [secret], event.id, body, now, gh.webhook_egress)
    with gh.unit_of_work() as uow:
        uow.operator_webhooks.mark_delivered(event_id, now)
