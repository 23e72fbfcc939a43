"""What the use cases need from storage, as protocols: the ports a unit of work offers.

The store's repositories implement these on one SQL connection; the tests' in-memory fakes
implement them on dictionaries. A use case written against them runs on either, so its rules
can be tested without a database. Each protocol lists only what some use case calls.

This module holds the registries, the ledger and the exceptions; the transfer gateway's ports
(:mod:`~gatehouse.services.ports_transfers`) and the operating ones
(:mod:`~gatehouse.services.ports_operations`) are defined beside it and re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from gatehouse.domain.consents import ConsentRecord
from gatehouse.domain.decision import DisclosureFact
from gatehouse.domain.recipients import Recipient, RecipientStatus
from gatehouse.domain.requests import RequestStatus, RequestType, Resolution, RightsRequest
from gatehouse.domain.subjects import Subject
from gatehouse.domain.terms import Terms
from gatehouse.ledger import Checkpoint, LedgerEntry
from gatehouse.services.ports_operations import (
    AbuseFlags,
    ApiKeys,
    BrowserSessions,
    DashboardCounts,
    OperatorWebhooks,
    Outbox,
    OverseasRegister,
    VaultSecrets,
    WebhookEndpoints,
    WebhookEvent,
    WrappedKeys,
)
from gatehouse.services.ports_transfers import Erasures, Orders, SafeNumbers, Transfers
from gatehouse.store.records import (
    PiiRead,
    RecipientName,
    StoredNotice,
    StoredRequest,
    SubjectRecord,
)
from gatehouse.vault import WrappedKey

__all__ = [
    "DuplicateKey",
    "Contention",
    "Subjects",
    "Notices",
    "Consents",
    "Recipients",
    "TermsVersions",
    "Orders",
    "Transfers",
    "SafeNumbers",
    "Erasures",
    "Requests",
    "Ledger",
    "Webhooks",
    "AbuseFlags",
    "ApiKeys",
    "VaultSecrets",
    "Outbox",
    "WebhookEndpoints",
    "WebhookEvent",
    "OperatorWebhooks",
    "WrappedKeys",
    "DashboardCounts",
    "OverseasRegister",
    "BrowserSessions",
]


class DuplicateKey(Exception):
    """A write clashed with a unique key: usually a concurrent writer stored the same thing."""


class Contention(Exception):
    """The database gave up a snapshot transaction because of a concurrent one; run it again."""


class Subjects(Protocol):
    """Subjects and their vault material; ciphertext only, never plaintext."""

    def get(self, subject_id: str) -> Subject | None: ...

    def wrapped_key(self, subject_id: str) -> WrappedKey | None: ...

    def ciphertexts(self, subject_id: str, scope: str = "subject") -> dict[str, bytes]: ...

    def ciphertexts_in(
        self, subject_id: str, scopes: Iterable[str]
    ) -> dict[str, dict[str, bytes]]: ...

    def add_ciphertexts(self, subject_id: str, scope: str, fields: Mapping[str, bytes]) -> None: ...

    def add_many(self, records: list[SubjectRecord], scope: str = "subject") -> None: ...

    def existing_external_refs(self, digests: Sequence[str]) -> set[str]: ...

    def find_by_external_ref(self, digest: str) -> list[str]: ...

    def find_by_index(self, kind: str, digest: str, limit: int = 50) -> list[str]: ...

    def record_pii_read(
        self, subject_id: str, api_key_id: str, reason: str, fields: list[str], at: datetime
    ) -> None: ...

    def pii_reads(self, subject_id: str) -> list[PiiRead]: ...

    def keys_after(self, after: str, limit: int) -> list[tuple[str, WrappedKey]]: ...

    def replace_wrapped_key(self, subject_id: str, old: WrappedKey, new: WrappedKey) -> bool: ...

    def count_keys(self) -> int: ...

    def count_keys_not_under(self, kek_id: str) -> int: ...


class Notices(Protocol):
    """Rendered notices, stored once by content hash, and published disclosures."""

    def get(self, notice_hash: str) -> StoredNotice | None: ...

    def by_hashes(self, hashes: Iterable[str]) -> dict[str, StoredNotice]: ...

    def save(
        self,
        *,
        notice_hash: str,
        kind: str,
        locale: str,
        purpose: str,
        flow: str,
        pack_id: str,
        pack_version: str,
        recipients: Mapping[str, str],
        countries: list[str],
        body: Mapping[str, Any],
        text: str,
        at: datetime,
        content_digest: str,
        required: bool | None,
    ) -> None: ...

    def publish_disclosure(
        self,
        disclosure_id: str,
        notice_hash: str,
        purpose: str,
        recipients: Mapping[str, str],
        at: datetime,
    ) -> None: ...

    def disclosures_for(self, recipient_id: str) -> list[DisclosureFact]: ...


class Consents(Protocol):
    """The append-only consent history."""

    def append(self, record: ConsentRecord) -> None: ...

    def history(self, subject_id: str) -> list[ConsentRecord]: ...


class Recipients(Protocol):
    """The register of recipients abroad, and the countries transfers are suspended to."""

    def add_many(self, batch: Sequence[tuple[Recipient, WrappedKey]]) -> None: ...

    def get(self, recipient_id: str) -> Recipient | None: ...

    def get_many(self, recipient_ids: Iterable[str]) -> dict[str, Recipient]: ...

    def replace_details(self, recipient: Recipient) -> None: ...

    def set_status(
        self, recipient_id: str, status: RecipientStatus, reason: str | None, at: datetime
    ) -> None: ...

    def set_accepted_terms(self, recipient_id: str, version: str, at: datetime) -> None: ...

    def suspended_countries(self) -> dict[str, str | None]: ...

    def suspend_country(self, country: str, reason: str | None, at: datetime) -> bool: ...

    def resume_country(self, country: str) -> bool: ...

    def record_suspension_event(
        self, target_type: str, target: str, action: str, reason: str | None, at: datetime
    ) -> None: ...

    def names(self, recipient_ids: Iterable[str]) -> dict[str, RecipientName]: ...

    def list(
        self,
        *,
        country: str | None = None,
        status: str | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> list[Recipient]: ...


class TermsVersions(Protocol):
    """Published versions of the recipients' data-protection terms."""

    def add(self, terms: Terms) -> None: ...

    def get(self, version: str) -> Terms | None: ...

    def current(self) -> Terms | None: ...


class Requests(Protocol):
    """Rights requests and their answers (their texts are sealed through ``Subjects``)."""

    def add(self, request: RightsRequest, channel: str) -> None: ...

    def get(self, request_id: str, *, lock: bool = False) -> StoredRequest | None: ...

    def of_subject(
        self, subject_id: str, *, request_type: RequestType | None = None, newest_first: bool
    ) -> list[StoredRequest]: ...

    def page(
        self,
        *,
        status: RequestStatus | None,
        due_before: datetime | None,
        subject_id: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[StoredRequest]: ...

    def resolve(self, request_id: str, resolution: Resolution) -> bool: ...


class Ledger(Protocol):
    """The hash-chained ledger, inside the unit of work's transaction.

    Reads that cover the whole ledger (verifying, signing a checkpoint) stream it: shard by
    shard, a batch at a time, never all of it in memory. ``state_bodies`` and
    ``checkpoint_bodies`` hand back what is stored unparsed, so a mangled row is reported by
    the verifier rather than raised here.

    An appended entry commits or rolls back with the decision it records. The subject's
    shard stays locked until the transaction ends; when one unit of work appends for several
    subjects, append in a stable order (for example by subject id), or inside ``group``.
    """

    def group(
        self, subject_ids: Iterable[str | None], at: datetime
    ) -> AbstractContextManager[None]: ...

    def append(
        self,
        *,
        kind: str,
        at: datetime,
        subject_id: str | None,
        recipient_id: str | None,
        payload: Mapping[str, Any],
    ) -> LedgerEntry: ...

    def find(
        self,
        *,
        kind: str | None = None,
        subject_id: str | None = None,
        recipient_id: str | None = None,
        after: tuple[int, int] | None = None,
        limit: int | None = None,
    ) -> list[LedgerEntry]: ...

    def get_entry(self, shard: int, seq: int) -> LedgerEntry | None: ...

    def latest_checkpoint(self) -> Checkpoint | None: ...

    def stream_hashes(self, shard: int, stop: int) -> Iterator[tuple[int, str]]: ...

    def distinct_transfers(self, *, kind: str, recipient_id: str, since: datetime) -> int: ...

    def shard_count(self, default: int, *, create: bool) -> int: ...

    def state_bodies(self) -> dict[int, Any]: ...

    def shards_with_entries(self) -> list[int]: ...

    def stream_shard(self, shard: int, *, batch: int = 1000) -> Iterator[LedgerEntry]: ...

    def stream_window(
        self, shard: int, start: datetime, end: datetime, *, batch: int = 5000
    ) -> Iterator[LedgerEntry]: ...

    def window_seqs(self, shard: int, start: datetime, end: datetime) -> tuple[int, int] | None: ...

    def stamped_around(
        self, shard: int, start: datetime, end: datetime
    ) -> tuple[int | None, int | None]:
        """The seq of the entry stamped last before ``start`` and of the one stamped first
        at or after ``end``; None where there is none."""
        ...

    def stream_range(
        self, shard: int, first: int, last: int, *, batch: int = 5000
    ) -> Iterator[LedgerEntry]: ...

    def suspensions(self) -> list[LedgerEntry]:
        """Every suspension and resumption entry, in (shard, seq) order."""
        ...

    def add_checkpoint(self, checkpoint: Checkpoint) -> None: ...

    def checkpoint_bodies(self) -> list[tuple[int, Any]]: ...


class Webhooks(Protocol):
    """Signed webhooks to recipients, queued in the unit of work's transaction."""

    def enqueue(
        self,
        *,
        recipient_id: str,
        event_type: str,
        webhook_id: str,
        data: Mapping[str, Any],
        at: datetime,
    ) -> str: ...

    def enqueue_many(self, events: Sequence[WebhookEvent], at: datetime) -> list[str]: ...
