"""Signed webhooks to recipients, delivered through the outbox (Standard Webhooks 1.0).

Each delivery is a POST of ``{"type", "timestamp", "data"}`` with three headers:

* ``webhook-id``: the event's id, the same on every attempt, so the recipient can drop
  duplicates (delivery is at least once);
* ``webhook-timestamp``: the attempt's time in Unix seconds, signed, against replays;
* ``webhook-signature``: ``v1,<base64 HMAC-SHA256(secret, "{id}.{timestamp}.{body}")>``,
  once per secret in force, separated by spaces.

The secret is the 32 raw bytes a recipient receives once as ``whsec_<base64>``. After a
rotation the previous secret signs too, for :data:`PREVIOUS_SECRET_TTL`, so a recipient can
switch its verifier without losing a delivery. Both secrets are stored only wrapped by the
master key: the current one with :func:`webhook_secret_context`, the previous one with
:func:`previous_webhook_secret_context`.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, hmac
from sqlalchemy import Connection

from gatehouse import __version__
from gatehouse.domain.errors import InvalidInput, NotFound
from gatehouse.services.outbox import (
    PermanentFailure,
    RetryLater,
    enqueue_many,
    handler,
    new_job,
)
from gatehouse.services.ports import Outbox, WebhookEvent
from gatehouse.services.recipients import webhook_secret_context
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.unit_of_work import UnitOfWork
from gatehouse.services.webhook_address import (
    EgressPolicy,
    WebhookAddressNotAllowed,
    check_registration,
    resolve_destination,
)
from gatehouse.store.outbox import Job
from gatehouse.vault import Keyring, new_data_key, unwrap_key, wrap_key

__all__ = [
    "DELIVER",
    "PRUNE_SECRETS",
    "PREVIOUS_SECRET_TTL",
    "SECRET_PREFIX",
    "WebhookSettings",
    "deliver",
    "encode_event",
    "enqueue_webhook",
    "enqueue_webhooks",
    "format_secret",
    "post_event",
    "previous_webhook_secret_context",
    "prune_previous_secrets",
    "rotate_webhook_secret",
    "set_webhook_url",
    "sign",
    "valid_webhook_url",
    "webhook_settings",
]

DELIVER = "webhook.deliver"
PRUNE_SECRETS = "webhook.prune_secrets"
SECRET_PREFIX = "whsec_"
PREVIOUS_SECRET_TTL = timedelta(hours=24)
_USER_AGENT = f"gatehouse-webhooks/{__version__}"

_WEBHOOK_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")
_EVENT_TYPE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")
_EVENT_TYPE_LENGTH = 100
_URL_LENGTH = 2000


def previous_webhook_secret_context(recipient_id: str) -> str:
    """Associated data binding a wrapped *previous* webhook secret to its recipient.

    Distinct from the current secret's context, so neither wrapped secret can stand in for
    the other.
    """
    return f"webhook-previous:{recipient_id}"


# -- signing ------------------------------------------------------------------------------


def format_secret(raw: bytes) -> str:
    """The form a recipient is shown once: ``whsec_`` and the secret in standard base64."""
    return SECRET_PREFIX + base64.b64encode(raw).decode("ascii")


def sign(secrets: Sequence[bytes], webhook_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: one ``v1,<base64>`` per secret, space-separated."""
    content = f"{webhook_id}.{timestamp}.".encode() + body
    signatures = []
    for secret in secrets:
        mac = hmac.HMAC(secret, hashes.SHA256())
        mac.update(content)
        signatures.append("v1," + base64.b64encode(mac.finalize()).decode("ascii"))
    return " ".join(signatures)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def encode_event(event_type: str, occurred_at: datetime, data: Mapping[str, Any]) -> bytes:
    """The request body; built from stored values only, so every attempt sends the same bytes."""
    event = {"type": event_type, "timestamp": _iso(occurred_at), "data": dict(data)}
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# -- enqueueing ---------------------------------------------------------------------------


def enqueue_webhook(
    where: Outbox | Connection,
    *,
    recipient_id: str,
    event_type: str,
    webhook_id: str,
    data: Mapping[str, Any],
    at: datetime,
) -> str:
    """Queue one event for a recipient, inside the caller's transaction; return the job id.

    ``where`` is the caller's unit of work's ``outbox`` (or a connection, from older code).

    ``webhook_id`` identifies the event (letters, digits, ``_`` and ``-``, up to 100). The
    same event queued twice for the same recipient is one job. ``data`` must be JSON and
    free of personal data: recipients fetch anything more through the API.
    """
    event = WebhookEvent(recipient_id, event_type, webhook_id, data)
    return enqueue_webhooks(where, [event], at)[0]


def enqueue_webhooks(
    where: Outbox | Connection, events: Sequence[WebhookEvent], at: datetime
) -> list[str]:
    """:func:`enqueue_webhook` for each of ``events``, in one statement; their job ids."""
    return enqueue_many(where, [_webhook_job(event, at) for event in events])


def _webhook_job(event: WebhookEvent, at: datetime) -> Job:
    if not _WEBHOOK_ID.fullmatch(event.webhook_id):
        raise ValueError("webhook_id must be 1-100 letters, digits, '_' or '-'")
    kind = event.event_type
    if len(kind) > _EVENT_TYPE_LENGTH or not _EVENT_TYPE.fullmatch(kind):
        raise ValueError(f"event_type must look like 'subject.erasure_requested': {kind!r}")
    payload = {
        "recipient_id": event.recipient_id,
        "event_type": kind,
        "webhook_id": event.webhook_id,
        "data": dict(event.data),
    }
    return new_job(
        kind=DELIVER,
        payload=payload,
        at=at,
        dedupe_key=f"webhook:{event.recipient_id}:{event.webhook_id}",
    )


# -- delivering ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    url: str | None
    secrets: list[bytes]


def _target(uow: UnitOfWork, recipient_id: str, keyring: Keyring, now: datetime) -> _Target:
    endpoint = uow.webhook_endpoints.endpoint(recipient_id)
    if endpoint is None:
        raise PermanentFailure("the recipient does not exist")
    secrets = []
    if endpoint.secret is not None:
        secrets.append(unwrap_key(endpoint.secret, webhook_secret_context(recipient_id), keyring))
    previous = uow.webhook_endpoints.previous_secret(recipient_id, now)
    if previous is not None:
        context = previous_webhook_secret_context(recipient_id)
        secrets.append(unwrap_key(previous.secret, context, keyring))
    return _Target(endpoint.url, secrets)


def _str_field(payload: Mapping[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value:
        raise PermanentFailure(f"the job payload has no valid {name}")
    return value


@handler(DELIVER)
def deliver(gh: Gatehouse, job: Job) -> None:
    """POST one signed event; 2xx is done, 410 or no URL is final, anything else retries.

    Neither the URL nor the response body is ever logged or stored: a URL may embed the
    recipient's own token, and a body may echo anything.
    """
    recipient_id = _str_field(job.payload, "recipient_id")
    event_type = _str_field(job.payload, "event_type")
    webhook_id = _str_field(job.payload, "webhook_id")
    data = job.payload.get("data")
    if not isinstance(data, dict):
        raise PermanentFailure("the job payload has no valid data")
    now = gh.clock()
    with gh.unit_of_work(read_only=True) as uow:
        target = _target(uow, recipient_id, gh.keyring, now)
    if not target.url:
        raise PermanentFailure("the recipient has no webhook_url")
    if not target.secrets:
        raise PermanentFailure("the recipient has no webhook secret")
    # The event time is the job's creation, not this attempt, so retries resend equal bytes.
    body = encode_event(event_type, job.created_at, data)
    post_event(target.url, target.secrets, webhook_id, body, now, gh.webhook_egress)


def post_event(
    url: str,
    secrets: Sequence[bytes],
    webhook_id: str,
    body: bytes,
    now: datetime,
    egress: EgressPolicy | None = None,
) -> None:
    """POST one encoded event signed with ``secrets``; raise what the outbox should do next.

    The URL is checked against ``egress`` (public https only when None) after resolving its
    name, and the connection goes to the checked address (:mod:`webhook_send`). A refused
    address or scheme raises :class:`PermanentFailure`; a name that does not resolve,
    :class:`RetryLater`. 2xx returns; 410 raises :class:`PermanentFailure`; anything else
    raises :class:`RetryLater`. A redirect is never followed: the recipient registered one
    URL, and a Location could point anywhere. It is retried like a 5xx, since a recipient that
    moved its endpoint fixes its registration and the queued events still reach it; after the
    last attempt the job is dead. Neither the URL nor the response body is logged or stored.
    """
    # The HTTP client and its CA bundle load with the first delivery, in the worker: the API
    # server, which never delivers, starts without them.
    import httpx

    from gatehouse.services.webhook_send import pinned_post

    try:
        destination = resolve_destination(url, egress or EgressPolicy())
    except WebhookAddressNotAllowed as refused:
        raise PermanentFailure(refused.message) from None
    except OSError:
        raise RetryLater("the endpoint's name did not resolve") from None
    timestamp = int(now.timestamp())
    headers = {
        "content-type": "application/json",
        "user-agent": _USER_AGENT,
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secrets, webhook_id, timestamp, body),
    }
    try:
        status = pinned_post(destination, url, body, headers)
    except httpx.TimeoutException:
        raise RetryLater("the endpoint timed out") from None
    except httpx.HTTPError as exc:
        raise RetryLater(f"the request failed ({type(exc).__name__})") from None
    if 200 <= status < 300:
        return
    if status == 410:
        raise PermanentFailure("HTTP 410 Gone: the endpoint asked for no more deliveries")
    if 300 <= status < 400:
        raise RetryLater(f"HTTP {status} (redirects are not followed)")
    raise RetryLater(f"HTTP {status}")


@handler(PRUNE_SECRETS)
def prune_previous_secrets(gh: Gatehouse, job: Job | None = None) -> None:
    """Delete previous webhook secrets whose grace period is over (a periodic job)."""
    with gh.unit_of_work() as uow:
        uow.webhook_endpoints.prune_previous(gh.clock())


# -- recipient settings -------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookSettings:
    """Where a recipient's webhooks go, and whether a rotated-out secret still signs."""

    url: str | None
    previous_secret_expires_at: datetime | None

    @property
    def previous_secret_active(self) -> bool:
        """True during the grace period after a rotation."""
        return self.previous_secret_expires_at is not None


def _settings(uow: UnitOfWork, recipient_id: str, now: datetime) -> WebhookSettings:
    endpoint = uow.webhook_endpoints.endpoint(recipient_id)
    if endpoint is None:
        raise NotFound(f"no recipient with id {recipient_id!r}", code="recipient_not_found")
    previous = uow.webhook_endpoints.previous_secret(recipient_id, now)
    return WebhookSettings(endpoint.url, previous.expires_at if previous else None)


def webhook_settings(gh: Gatehouse, recipient_id: str) -> WebhookSettings:
    """A recipient's webhook URL and the state of its secrets."""
    with gh.unit_of_work(read_only=True) as uow:
        return _settings(uow, recipient_id, gh.clock())


def valid_webhook_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL, None if empty; otherwise ``InvalidInput``."""
    # The same rule as registration (gatehouse.domain.recipients): absolute http(s).
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or len(url) > _URL_LENGTH:
        raise InvalidInput(
            "webhook_url must be an absolute http(s) URL",
            code="invalid_url",
            details={"field": "url"},
        )
    return url


def set_webhook_url(gh: Gatehouse, recipient_id: str, url: str | None) -> WebhookSettings:
    """Point a recipient's webhooks at ``url``; None (or empty) stops them.

    A URL outside the egress policy (:mod:`webhook_address`) raises
    :class:`WebhookAddressNotAllowed`.
    """
    valid = valid_webhook_url(url)
    if valid is not None:
        check_registration(valid, gh.webhook_egress, "url")
    now = gh.clock()
    with gh.unit_of_work() as uow:
        if not uow.webhook_endpoints.set_url(recipient_id, valid, now):
            raise NotFound(f"no recipient with id {recipient_id!r}", code="recipient_not_found")
        return _settings(uow, recipient_id, now)


def rotate_webhook_secret(gh: Gatehouse, recipient_id: str) -> str:
    """Give a recipient a new webhook secret and return it (``whsec_...``), once.

    The secret it replaces keeps signing for :data:`PREVIOUS_SECRET_TTL`; a secret replaced
    before that is dropped, as only the newest previous one is kept.
    """
    now = gh.clock()
    fresh = new_data_key()
    with gh.unit_of_work() as uow:
        endpoints = uow.webhook_endpoints
        # Locked before the read, so two rotations at once take turns.
        if not endpoints.lock(recipient_id):
            raise NotFound(f"no recipient with id {recipient_id!r}", code="recipient_not_found")
        endpoint = endpoints.endpoint(recipient_id)
        assert endpoint is not None
        kept = None
        if endpoint.secret is not None:
            old = unwrap_key(endpoint.secret, webhook_secret_context(recipient_id), gh.keyring)
            kept = wrap_key(old, previous_webhook_secret_context(recipient_id), gh.keyring)
        endpoints.keep_previous(recipient_id, kept, now + PREVIOUS_SECRET_TTL)
        current = wrap_key(fresh, webhook_secret_context(recipient_id), gh.keyring)
        endpoints.set_secret(recipient_id, current, now)
    return format_secret(fresh)
