"""The fake database's tables, and the base of every in-memory repository.

``Tables`` holds the committed state as plain Python values; a unit of work edits a deep
copy of it. Repositories planted with a :class:`Failure` raise it, to break a use case
midway and show that nothing of it was kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gatehouse.domain.consents import ConsentRecord
from gatehouse.domain.incidents import Incident
from gatehouse.domain.recipients import Recipient
from gatehouse.domain.subjects import Subject
from gatehouse.domain.terms import Terms
from gatehouse.ledger import Checkpoint, LedgerEntry, ShardState
from gatehouse.store.abuse import AbuseFlag
from gatehouse.store.customer_sessions import CustomerSession
from gatehouse.store.operator_profiles import StoredProfile
from gatehouse.store.outbox import Job
from gatehouse.store.privacy_policies import StoredPolicy
from gatehouse.store.records import (
    Deletion,
    ErasureRequest,
    OpenView,
    PiiRead,
    StoredNotice,
    StoredOrder,
    StoredRequest,
    StoredTransfer,
)
from gatehouse.store.retention_records import RetentionRecord
from gatehouse.vault import WrappedKey

__all__ = ["Tables", "Failure", "FakeRepository"]


@dataclass
class Tables:
    """Everything the fake database holds; a unit of work edits a deep copy of it."""

    subjects: dict[str, Subject] = field(default_factory=dict)
    external_refs: dict[str, str] = field(default_factory=dict)  # subject id -> digest
    keys: dict[str, WrappedKey] = field(default_factory=dict)
    # (subject id, scope) -> field -> ciphertext
    ciphertexts: dict[tuple[str, str], dict[str, bytes]] = field(default_factory=dict)
    indexes: dict[tuple[str, str], str] = field(default_factory=dict)  # (subject, kind) -> digest
    pii_reads: list[tuple[str, PiiRead]] = field(default_factory=list)
    vault_secrets: dict[str, WrappedKey] = field(default_factory=dict)
    notices: dict[str, StoredNotice] = field(default_factory=dict)
    disclosures: dict[str, dict[str, Any]] = field(default_factory=dict)
    consents: list[ConsentRecord] = field(default_factory=list)
    recipients: dict[str, Recipient] = field(default_factory=dict)
    webhook_secrets: dict[str, WrappedKey] = field(default_factory=dict)  # recipient id -> key
    # recipient id -> (previous secret, when it stops signing)
    previous_secrets: dict[str, tuple[WrappedKey, datetime]] = field(default_factory=dict)
    country_suspensions: dict[str, str | None] = field(default_factory=dict)
    # (target type, target, action, reason, at)
    suspension_events: list[tuple[str, str, str, str | None, datetime]] = field(
        default_factory=list
    )
    terms_acceptances: list[tuple[str, str, datetime]] = field(default_factory=list)
    api_keys: dict[str, dict[str, Any]] = field(default_factory=dict)  # key id -> row
    terms: list[Terms] = field(default_factory=list)
    orders: dict[str, StoredOrder] = field(default_factory=dict)
    order_events: list[tuple[str, str, datetime]] = field(default_factory=list)
    transfers: dict[str, StoredTransfer] = field(default_factory=dict)
    views: dict[str, OpenView] = field(default_factory=dict)
    closed_views: dict[str, tuple[datetime, str]] = field(default_factory=dict)
    # (subject, recipient, country or '', purpose, basis or '', items JSON) -> (count, last_at)
    transfer_totals: dict[tuple[str, ...], tuple[int, datetime]] = field(default_factory=dict)
    view_windows: dict[tuple[str, str], datetime] = field(default_factory=dict)  # -> until
    leased_numbers: dict[str, str] = field(default_factory=dict)  # number -> transfer id
    released_numbers: list[tuple[str, datetime, datetime]] = field(default_factory=list)
    deletions: dict[str, Deletion] = field(default_factory=dict)
    erasures: dict[str, ErasureRequest] = field(default_factory=dict)
    requests: dict[str, StoredRequest] = field(default_factory=dict)
    abuse_flags: list[AbuseFlag] = field(default_factory=list)
    shard_count: int | None = None
    shard_states: dict[int, ShardState] = field(default_factory=dict)
    entries: dict[tuple[int, int], LedgerEntry] = field(default_factory=dict)
    checkpoints: list[Checkpoint] = field(default_factory=list)
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)  # dedupe key -> job
    jobs: dict[str, Job] = field(default_factory=dict)  # the outbox, by job id
    operator_webhook: dict[str, Any] | None = None
    operator_events: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (table, token hash) -> session row
    sessions: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # The privacy center's links and cookie sessions, by id.
    customer_sessions: dict[str, CustomerSession] = field(default_factory=dict)
    # The separate retention store, by record id.
    retention_records: dict[str, RetentionRecord] = field(default_factory=dict)
    # The operator's profile versions, oldest first.
    operator_profiles: list[StoredProfile] = field(default_factory=list)
    policy_versions: list[StoredPolicy] = field(default_factory=list)
    # The register's row versions; RangedRow lives with the fake that uses it.
    policy_register: list[Any] = field(default_factory=list)
    # (version, PolicyDisclosure): what each version discloses under Art. 28-8(1) 3.
    policy_disclosures: list[tuple[int, Any]] = field(default_factory=list)
    # (version, language) -> compact document content.
    policy_documents: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    # The entrustees' row versions (RangedEntrustee, with the fake that uses it).
    policy_entrustees: list[Any] = field(default_factory=list)
    # Breach incidents by id.
    incidents: dict[str, Incident] = field(default_factory=dict)


@dataclass
class Failure:
    """An exception planted in one repository method, raised ``times`` times (None: always)."""

    error: Exception
    times: int | None = None


class FakeRepository:
    """The base of the fakes: the tables of one unit of work, and the planted failures."""

    def __init__(self, t: Tables, failures: dict[str, Failure]) -> None:
        self.t = t
        self._failures = failures

    def _hook(self, name: str) -> None:
        """Raise the exception a test planted for ``<Repository>.<name>``, if any."""
        where = f"{type(self).__name__.removeprefix('Fake')}.{name}"
        failure = self._failures.get(where)
        if failure is None:
            return
        if failure.times is not None:
            failure.times -= 1
            if failure.times <= 0:
                del self._failures[where]
        raise failure.error
