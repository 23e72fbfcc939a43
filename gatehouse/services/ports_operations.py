"""Ports for operating Gatehouse: keys, secrets, abuse flags, the outbox, webhooks, sessions.

Re-exported by :mod:`gatehouse.services.ports`, which holds the ports of the privacy records
themselves; see there for what a port is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from gatehouse.store.abuse import AbuseFlag
from gatehouse.store.api_keys import ApiKeyRecord
from gatehouse.store.browser_sessions import StoredSession
from gatehouse.store.operator_webhooks import OperatorWebhookSetting, StoredEvent
from gatehouse.store.outbox import Job
from gatehouse.store.overseas_register import RegisterRecipient, RegisterWindow
from gatehouse.store.webhook_endpoints import PreviousSecret, WebhookEndpoint
from gatehouse.store.wrapped_keys import KeyHolder
from gatehouse.vault import WrappedKey

__all__ = [
    "AbuseFlags",
    "ApiKeys",
    "VaultSecrets",
    "Outbox",
    "WebhookEndpoints",
    "OperatorWebhooks",
    "WrappedKeys",
    "DashboardCounts",
    "OverseasRegister",
    "BrowserSessions",
    "WebhookEvent",
]


@dataclass(frozen=True)
class WebhookEvent:
    """One event for a recipient's webhook: ids only, never personal data."""

    recipient_id: str
    event_type: str
    webhook_id: str
    data: Mapping[str, Any]


class AbuseFlags(Protocol):
    """Flags raised against recipients whose reads looked like scraping."""

    def count_since(self, recipient_id: str, kind: str, since: datetime) -> int: ...

    def add(
        self, recipient_id: str, kind: str, detail: Mapping[str, Any], at: datetime
    ) -> None: ...

    def recent(self, recipient_id: str | None, limit: int) -> list[AbuseFlag]: ...


class ApiKeys(Protocol):
    """API keys, stored as SHA-256 hashes only."""

    def add(
        self,
        *,
        key_id: str,
        audience: str,
        recipient_id: str | None,
        key_hash: str,
        prefix: str,
        label: str | None,
        at: datetime,
    ) -> None: ...

    def find_by_hash(self, key_hash: str) -> ApiKeyRecord | None: ...

    def revoke_for_recipient(self, recipient_id: str, at: datetime) -> int: ...


class VaultSecrets(Protocol):
    """Operator-wide secrets (the blind-index key, the ledger's signing key), stored wrapped."""

    def get(self, name: str) -> WrappedKey | None: ...

    def add(self, name: str, wrapped: WrappedKey, at: datetime) -> None: ...

    def replace(self, name: str, wrapped: WrappedKey) -> None: ...


class Outbox(Protocol):
    """Background jobs, queued in the transaction of their cause and leased to workers.

    ``claim`` leases due jobs so that concurrent workers never get the same one (on SQL,
    ``FOR UPDATE SKIP LOCKED``); ``finish`` is fenced on the lease it was given, so a worker
    whose lease ran out cannot overwrite a newer outcome.
    """

    def add(self, job: Job) -> str: ...

    def add_many(self, jobs: Sequence[Job]) -> list[str]: ...

    def claim(
        self, worker_id: str, now: datetime, locked_until: datetime, limit: int
    ) -> list[Job]: ...

    def finish(self, job: Job, values: Mapping[str, Any]) -> bool: ...

    def get(self, job_id: str) -> Job | None: ...

    def by_dedupe_key(self, key: str) -> Job | None: ...

    def page(
        self,
        *,
        status: str | None = None,
        kind: str | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> list[Job]: ...

    def counts(self) -> dict[str, int]: ...

    def requeue_dead(self, job_id: str, now: datetime) -> bool: ...

    def reschedule(self, job_id: str, payload: Mapping[str, Any], run_at: datetime) -> None: ...

    def purge_done(self, before: datetime, limit: int) -> int: ...


class WebhookEndpoints(Protocol):
    """Where each recipient's webhooks go, and the secrets that sign them (stored wrapped)."""

    def endpoint(self, recipient_id: str) -> WebhookEndpoint | None: ...

    def lock(self, recipient_id: str) -> bool: ...

    def set_url(self, recipient_id: str, url: str | None, at: datetime) -> bool: ...

    def set_secret(self, recipient_id: str, secret: WrappedKey, at: datetime) -> None: ...

    def previous_secret(self, recipient_id: str, now: datetime) -> PreviousSecret | None: ...

    def keep_previous(
        self, recipient_id: str, secret: WrappedKey | None, expires_at: datetime
    ) -> None: ...

    def prune_previous(self, now: datetime) -> int: ...


class OperatorWebhooks(Protocol):
    """The marketplace's own webhook, and delivering its events (queueing them is
    ``OperatorEvents``'s)."""

    def setting(self) -> OperatorWebhookSetting | None: ...

    def save(self, url: str, secret: WrappedKey, at: datetime) -> None: ...

    def event(self, event_id: str) -> StoredEvent | None: ...

    def mark_delivered(self, event_id: str, at: datetime) -> None: ...


class WrappedKeys(Protocol):
    """Keys wrapped by the master key that a rotation re-wraps, by holder (see
    :data:`gatehouse.store.wrapped_keys.KEY_HOLDERS`)."""

    def not_under(self, holder: KeyHolder, kek_id: str) -> list[tuple[str, WrappedKey]]: ...

    def replace(self, holder: KeyHolder, key: str, wrapped: WrappedKey) -> None: ...


class DashboardCounts(Protocol):
    """Counts of transfer decisions for the operator console."""

    def refusals_by_reason(self) -> dict[str | None, int]: ...

    def allowed_by_country(self) -> dict[str | None, int]: ...


class OverseasRegister(Protocol):
    """The overseas-transfer register: recipients abroad and their transfers in a period."""

    def page(
        self, window: RegisterWindow, *, after: str | None, limit: int
    ) -> list[RegisterRecipient]: ...

    def counts_by_country(self, window: RegisterWindow) -> dict[str, tuple[int, int]]: ...


class BrowserSessions(Protocol):
    """Key-backed browser sessions of one site (the portal's or the console's), by hash."""

    def add(
        self,
        *,
        token_hash: str,
        key_id: str,
        recipient_id: str | None,
        created_at: datetime,
        expires_at: datetime,
    ) -> None: ...

    def find(self, token_hash: str) -> StoredSession | None: ...

    def revoke(self, token_hash: str, at: datetime) -> bool: ...

    def purge_expired(self, now: datetime) -> int: ...
