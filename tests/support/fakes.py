"""In-memory stand-ins for the unit of work and its repositories: use cases without a database.

``FakeDatabase`` holds the tables as plain Python values. Each unit of work it makes works on
a deep copy of them and puts the copy back only on a clean exit, so a use case that raises
leaves nothing behind, exactly as a rolled-back transaction would. The ledger appends with
the real pure ledger code (hash chains, Merkle frontiers, 16 shards by subject), so proofs and
checkpoints built over the fake verify like real ones.

``fake_gatehouse(db)`` gives a :class:`Gatehouse` whose units of work come from ``db`` and
whose engine refuses every use, so a test that reaches for SQL fails loudly.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from types import TracebackType
from typing import Any, Self, TypeVar

from gatehouse.domain.consents import ConsentRecord
from gatehouse.domain.recipients import (
    PrivacyOfficer,
    Recipient,
    RecipientKind,
    RecipientStatus,
)
from gatehouse.domain.requests import RequestStatus, RequestType, Resolution, RightsRequest
from gatehouse.domain.subjects import Subject
from gatehouse.domain.terms import Terms
from gatehouse.ledger import (
    Checkpoint,
    CheckpointSigner,
    LedgerEntry,
    ShardHead,
    ShardState,
    append_entry,
    shard_for,
)
from gatehouse.rules import RulePackSet, load_packs
from gatehouse.services.ledger_append import LEDGER_SHARDS
from gatehouse.services.ports import DuplicateKey
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.ledger_tables import ID_LENGTH, KIND_LENGTH
from gatehouse.store.records import (
    Held,
    OpenView,
    PiiRead,
    RecipientName,
    StoredNotice,
    StoredOrder,
    StoredRequest,
    SubjectRecord,
    TransferDecision,
)
from gatehouse.vault import BlindIndexer, Keyring, MasterKey, WrappedKey

__all__ = [
    "Tables",
    "Failure",
    "FakeDatabase",
    "FakeUnitOfWork",
    "Clock",
    "fake_gatehouse",
    "make_recipient",
]


class Clock:
    """A clock moved by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 28, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


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
    notices: dict[str, StoredNotice] = field(default_factory=dict)
    disclosures: dict[str, dict[str, Any]] = field(default_factory=dict)
    consents: list[ConsentRecord] = field(default_factory=list)
    recipients: dict[str, Recipient] = field(default_factory=dict)
    terms: list[Terms] = field(default_factory=list)
    orders: dict[str, StoredOrder] = field(default_factory=dict)
    order_events: list[tuple[str, str, datetime]] = field(default_factory=list)
    transfers: dict[str, TransferDecision] = field(default_factory=dict)
    views: dict[str, OpenView] = field(default_factory=dict)
    closed_views: dict[str, tuple[datetime, str]] = field(default_factory=dict)
    released_numbers: list[tuple[str, datetime, datetime]] = field(default_factory=list)
    erasures: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: dict[str, StoredRequest] = field(default_factory=dict)
    shard_states: dict[int, ShardState] = field(default_factory=dict)
    entries: dict[tuple[int, int], LedgerEntry] = field(default_factory=dict)
    checkpoints: list[Checkpoint] = field(default_factory=list)
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)  # dedupe key -> job


@dataclass
class Failure:
    """An exception planted in one repository method, raised ``times`` times (None: always)."""

    error: Exception
    times: int | None = None


class _Failing:
    """Raises the exception a test planted for ``name``, to break a use case midway."""

    def __init__(self, t: Tables, failures: dict[str, Failure]) -> None:
        self.t = t
        self._failures = failures

    def _hook(self, name: str) -> None:
        where = f"{type(self).__name__.removeprefix('Fake')}.{name}"
        failure = self._failures.get(where)
        if failure is None:
            return
        if failure.times is not None:
            failure.times -= 1
            if failure.times <= 0:
                del self._failures[where]
        raise failure.error


R = TypeVar("R", bound=_Failing)


# -- repositories -----------------------------------------------------------------------------


class FakeSubjects(_Failing):
    def get(self, subject_id: str) -> Subject | None:
        return self.t.subjects.get(subject_id)

    def wrapped_key(self, subject_id: str) -> WrappedKey | None:
        return self.t.keys.get(subject_id)

    def ciphertexts(self, subject_id: str, scope: str = "subject") -> dict[str, bytes]:
        return dict(self.t.ciphertexts.get((subject_id, scope), {}))

    def ciphertexts_in(self, subject_id: str, scopes: Iterable[str]) -> dict[str, dict[str, bytes]]:
        found = {scope: self.ciphertexts(subject_id, scope) for scope in set(scopes)}
        return {scope: blobs for scope, blobs in found.items() if blobs}

    def add_ciphertexts(self, subject_id: str, scope: str, fields: Mapping[str, bytes]) -> None:
        self._hook("add_ciphertexts")
        stored = self.t.ciphertexts.setdefault((subject_id, scope), {})
        if stored.keys() & fields.keys():
            raise DuplicateKey(f"{subject_id}/{scope} already has {sorted(stored)}")
        stored.update(fields)

    def add_many(self, records: list[SubjectRecord], scope: str = "subject") -> None:
        self._hook("add_many")
        for subject, ref, key, fields, indexes in records:
            if subject.id in self.t.subjects or ref in self.t.external_refs.values():
                raise DuplicateKey(f"subject {subject.id} or its external_ref exists")
            self.t.subjects[subject.id] = subject
            self.t.external_refs[subject.id] = ref
            self.t.keys[subject.id] = key
            self.t.ciphertexts[(subject.id, scope)] = dict(fields)
            for kind, digest in indexes.items():
                self.t.indexes[(subject.id, kind)] = digest

    def existing_external_refs(self, digests: Sequence[str]) -> set[str]:
        return set(digests) & set(self.t.external_refs.values())

    def find_by_external_ref(self, digest: str) -> list[str]:
        return sorted(sid for sid, ref in self.t.external_refs.items() if ref == digest)

    def find_by_index(self, kind: str, digest: str, limit: int = 50) -> list[str]:
        found = (sid for (sid, k), d in self.t.indexes.items() if k == kind and d == digest)
        return sorted(found)[:limit]

    def record_pii_read(
        self, subject_id: str, api_key_id: str, reason: str, fields: list[str], at: datetime
    ) -> None:
        self._hook("record_pii_read")
        self.t.pii_reads.append((subject_id, PiiRead(api_key_id, reason, list(fields), at)))

    def pii_reads(self, subject_id: str) -> list[PiiRead]:
        return [read for sid, read in self.t.pii_reads if sid == subject_id]


class FakeNotices(_Failing):
    def get(self, notice_hash: str) -> StoredNotice | None:
        return self.t.notices.get(notice_hash)

    def by_hashes(self, hashes: Iterable[str]) -> dict[str, StoredNotice]:
        return {h: self.t.notices[h] for h in set(hashes) if h in self.t.notices}

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
    ) -> None:
        self._hook("save")
        if notice_hash in self.t.notices:
            return  # stored once, by content
        self.t.notices[notice_hash] = StoredNotice(
            hash=notice_hash,
            kind=kind,
            locale=locale,
            purpose=purpose,
            flow=flow,
            pack_id=pack_id,
            pack_version=pack_version,
            recipients=dict(recipients),
            countries=list(countries),
            body=dict(body),
            text=text,
            created_at=at,
            content_digest=content_digest,
            required=required,
        )

    def publish_disclosure(
        self,
        disclosure_id: str,
        notice_hash: str,
        purpose: str,
        recipients: Mapping[str, str],
        at: datetime,
    ) -> None:
        self._hook("publish_disclosure")
        self.t.disclosures[disclosure_id] = {
            "notice_hash": notice_hash,
            "purpose": purpose,
            "recipients": dict(recipients),
            "published_at": at,
        }


class FakeConsents(_Failing):
    def append(self, record: ConsentRecord) -> None:
        self._hook("append")
        if any(existing.id == record.id for existing in self.t.consents):
            raise DuplicateKey(f"consent {record.id} exists")
        self.t.consents.append(record)

    def history(self, subject_id: str) -> list[ConsentRecord]:
        # As the SQL join does: the scope, flow, language and digest come from the notice.
        history = []
        for record in self.t.consents:
            notice = self.t.notices.get(record.notice_hash)
            if record.subject_id != subject_id or notice is None:
                continue
            history.append(
                replace(
                    record,
                    recipients=dict(notice.recipients),
                    flow=notice.flow,
                    language=notice.locale,
                    content_digest=notice.content_digest,
                    required=notice.required,
                )
            )
        return history


class FakeRecipients(_Failing):
    def get(self, recipient_id: str) -> Recipient | None:
        return self.t.recipients.get(recipient_id)

    def names(self, recipient_ids: Iterable[str]) -> dict[str, RecipientName]:
        found = (self.t.recipients.get(rid) for rid in set(recipient_ids))
        return {r.id: RecipientName(r.id, r.legal_name, r.country) for r in found if r}

    def list(
        self,
        *,
        country: str | None = None,
        status: str | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> list[Recipient]:
        chosen = [
            r
            for rid, r in sorted(self.t.recipients.items())
            if (country is None or r.country == country)
            and (status is None or r.status.value == status)
            and (after is None or rid > after)
        ]
        return chosen[:limit]


class FakeTerms(_Failing):
    def add(self, terms: Terms) -> None:
        self._hook("add")
        if self.get(terms.version) is not None:
            raise DuplicateKey(f"terms {terms.version} exist")
        self.t.terms.append(terms)

    def get(self, version: str) -> Terms | None:
        return next((t for t in self.t.terms if t.version == version), None)

    def current(self) -> Terms | None:
        return self.t.terms[-1] if self.t.terms else None


class FakeOrders(_Failing):
    def add(self, order: StoredOrder) -> None:
        self._hook("add")
        clash = any(
            o.recipient_id == order.recipient_id and o.external_ref == order.external_ref
            for o in self.t.orders.values()
        )
        if order.id in self.t.orders or clash:
            raise DuplicateKey(f"order {order.id} or its external_ref exists")
        self.t.orders[order.id] = order

    def get(self, order_id: str, *, lock: bool = False) -> StoredOrder | None:
        return self.t.orders.get(order_id)

    def of_subject(self, subject_id: str) -> list[StoredOrder]:
        mine = [o for o in self.t.orders.values() if o.subject_id == subject_id]
        return sorted(mine, key=lambda o: (o.created_at, o.id))

    def record_event(self, order_id: str, event: str, at: datetime, **changes: Any) -> None:
        self._hook("record_event")
        self.t.order_events.append((order_id, event, at))
        self.t.orders[order_id] = replace(self.t.orders[order_id], **changes)


class FakeTransfers(_Failing):
    def open_views(
        self,
        *,
        subject_id: str | None = None,
        recipient_id: str | None = None,
        order_id: str | None = None,
        consent_notice: str | None = None,
    ) -> list[OpenView]:
        wanted = {
            "subject_id": subject_id,
            "recipient_id": recipient_id,
            "order_id": order_id,
            "consent_notice": consent_notice,
        }
        return [
            view
            for tid, view in sorted(self.t.views.items())
            if tid not in self.t.closed_views
            and all(v is None or getattr(view, k) == v for k, v in wanted.items())
        ]

    def close_view(self, transfer_id: str, reason: str, at: datetime) -> bool:
        self._hook("close_view")
        if transfer_id not in self.t.views or transfer_id in self.t.closed_views:
            return False
        self.t.closed_views[transfer_id] = (at, reason)
        return True

    def set_expiry(self, transfer_id: str, expires_at: datetime) -> None:
        self._hook("set_expiry")
        if transfer_id in self.t.views and transfer_id not in self.t.closed_views:
            self.t.views[transfer_id] = replace(self.t.views[transfer_id], expires_at=expires_at)

    def belongs_to(self, transfer_id: str, subject_id: str) -> bool:
        decision = self.t.transfers.get(transfer_id)
        return decision is not None and decision.subject_id == subject_id

    def decisions_of(self, subject_id: str) -> list[TransferDecision]:
        mine = sorted(
            (d for d in self.t.transfers.values() if d.subject_id == subject_id),
            key=lambda d: (d.decided_at, d.id),
        )
        return [self._with_view(d) for d in mine]

    def _with_view(self, decision: TransferDecision) -> TransferDecision:
        view = self.t.views.get(decision.id)
        recipient = self.t.recipients.get(decision.recipient_id)
        closed = self.t.closed_views.get(decision.id)
        return replace(
            decision,
            recipient_name=recipient.legal_name if recipient else None,
            view_expires_at=view.expires_at if view else None,
            view_closed_at=closed[0] if closed else None,
        )

    def held_by_views(self, transfer_ids: Iterable[str]) -> list[Held]:
        views = (self.t.views[tid] for tid in set(transfer_ids) if tid in self.t.views)
        return sorted(
            (v.recipient_id, v.transfer_id, self.t.orders[v.order_id].external_ref) for v in views
        )

    def held_by_transfers(self, subject_id: str) -> list[Held]:
        allowed = (d for d in self.t.transfers.values() if d.subject_id == subject_id and d.allowed)
        return sorted(
            (d.recipient_id, d.id, self.t.orders[d.order_id].external_ref) for d in allowed
        )


class FakeSafeNumbers(_Failing):
    def release(self, transfer_id: str, at: datetime, reusable_after: datetime) -> None:
        self._hook("release")
        self.t.released_numbers.append((transfer_id, at, reusable_after))


class FakeErasures(_Failing):
    def add_request(self, *, id: str, **values: Any) -> None:
        self._hook("add_request")
        if id in self.t.erasures:
            raise DuplicateKey(f"erasure {id} exists")
        self.t.erasures[id] = {"id": id, **values}


class FakeRequests(_Failing):
    def add(self, request: RightsRequest, channel: str) -> None:
        self._hook("add")
        if request.id in self.t.requests:
            raise DuplicateKey(f"request {request.id} exists")
        # Stored as the table stores it: pending, and without any answer's text.
        self.t.requests[request.id] = StoredRequest(replace(request, resolution=None), channel)

    def get(self, request_id: str, *, lock: bool = False) -> StoredRequest | None:
        return self.t.requests.get(request_id)

    def of_subject(
        self, subject_id: str, *, request_type: RequestType | None = None, newest_first: bool
    ) -> list[StoredRequest]:
        mine = [
            s
            for s in self.t.requests.values()
            if s.request.subject_id == subject_id
            and (request_type is None or s.request.type is request_type)
        ]
        # Newest first still breaks ties by id ascending, as the SQL ordering does.
        mine.sort(key=lambda s: s.request.id)
        mine.sort(key=lambda s: s.request.deadline.created_at, reverse=newest_first)
        return mine

    def page(
        self,
        *,
        status: RequestStatus | None,
        due_before: datetime | None,
        subject_id: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[StoredRequest]:
        def key(s: StoredRequest) -> tuple[datetime, str]:
            return s.request.deadline.due_at, s.request.id

        chosen = [
            s
            for s in sorted(self.t.requests.values(), key=key)
            if (status is None or s.request.status is status)
            and (due_before is None or s.request.deadline.due_at < due_before)
            and (subject_id is None or s.request.subject_id == subject_id)
            and (after is None or key(s) > after)
        ]
        return chosen[:limit]

    def resolve(self, request_id: str, resolution: Resolution) -> bool:
        self._hook("resolve")
        stored = self.t.requests.get(request_id)
        if stored is None or stored.request.resolution is not None:
            return False
        sealed = replace(resolution, message=None)  # the text is sealed, not kept here
        self.t.requests[request_id] = replace(
            stored, request=replace(stored.request, resolution=sealed)
        )
        return True


class FakeLedger(_Failing):
    def append(
        self,
        *,
        kind: str,
        at: datetime,
        subject_id: str | None,
        recipient_id: str | None,
        payload: Mapping[str, Any],
    ) -> LedgerEntry:
        self._hook("append")
        for name, value, most in (
            ("kind", kind, KIND_LENGTH),
            ("subject_id", subject_id, ID_LENGTH),
            ("recipient_id", recipient_id, ID_LENGTH),
        ):
            if isinstance(value, str) and len(value) > most:
                raise ValueError(f"ledger {name} is longer than {most} characters")
        shard = shard_for(subject_id, LEDGER_SHARDS)
        state = self.t.shard_states.get(shard, ShardState.empty(shard))
        entry, new_state = append_entry(state, kind, at, subject_id, recipient_id, payload)
        # Kept as a reload from storage would return it: payload as plain JSON values.
        self.t.entries[(entry.shard, entry.seq)] = LedgerEntry.from_dict(entry.to_dict())
        self.t.shard_states[shard] = new_state
        return entry

    def find(
        self,
        *,
        kind: str | None = None,
        subject_id: str | None = None,
        recipient_id: str | None = None,
        after: tuple[int, int] | None = None,
        limit: int | None = None,
    ) -> list[LedgerEntry]:
        found = [
            e
            for position, e in sorted(self.t.entries.items())
            if (kind is None or e.kind == kind)
            and (subject_id is None or e.subject_id == subject_id)
            and (recipient_id is None or e.recipient_id == recipient_id)
            and (after is None or position > after)
        ]
        return found if limit is None else found[:limit]

    def get_entry(self, shard: int, seq: int) -> LedgerEntry | None:
        return self.t.entries.get((shard, seq))

    def latest_checkpoint(self) -> Checkpoint | None:
        return self.t.checkpoints[-1] if self.t.checkpoints else None

    def stream_hashes(self, shard: int, stop: int) -> Iterator[tuple[int, str]]:
        for (s, seq), entry in sorted(self.t.entries.items()):
            if s == shard and seq < stop:
                yield seq, entry.entry_hash


class FakeWebhooks(_Failing):
    def enqueue(
        self,
        *,
        recipient_id: str,
        event_type: str,
        webhook_id: str,
        data: Mapping[str, Any],
        at: datetime,
    ) -> str:
        self._hook("enqueue")
        dedupe = f"webhook:{recipient_id}:{webhook_id}"
        job = self.t.webhooks.setdefault(
            dedupe,
            {
                "id": f"job_{len(self.t.webhooks) + 1}",
                "recipient_id": recipient_id,
                "event_type": event_type,
                "webhook_id": webhook_id,
                "data": copy.deepcopy(dict(data)),
                "at": at,
            },
        )
        return str(job["id"])


# -- the unit of work ---------------------------------------------------------------------------


class FakeUnitOfWork:
    """One "transaction" on a :class:`FakeDatabase`: a private copy, kept on a clean exit."""

    def __init__(self, db: FakeDatabase, *, read_only: bool, snapshot: bool) -> None:
        self._db = db
        self.read_only = read_only
        self.snapshot = snapshot
        self._tables: Tables | None = None

    def __enter__(self) -> Self:
        if self._tables is not None:
            raise RuntimeError("a unit of work is entered once")
        self._tables = copy.deepcopy(self._db.tables)
        self._db.opened += 1
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        tables, self._tables = self._tables, None
        if exc is None and not self.read_only and tables is not None:
            self._db.tables = tables
            self._db.commits += 1
        else:
            self._db.rollbacks += 1

    def _repository(self, kind: type[R]) -> R:
        if self._tables is None:
            raise RuntimeError("use a unit of work's repositories inside its with block")
        return kind(self._tables, self._db.failures)

    @property
    def subjects(self) -> FakeSubjects:
        return self._repository(FakeSubjects)

    @property
    def notices(self) -> FakeNotices:
        return self._repository(FakeNotices)

    @property
    def consents(self) -> FakeConsents:
        return self._repository(FakeConsents)

    @property
    def recipients(self) -> FakeRecipients:
        return self._repository(FakeRecipients)

    @property
    def terms(self) -> FakeTerms:
        return self._repository(FakeTerms)

    @property
    def orders(self) -> FakeOrders:
        return self._repository(FakeOrders)

    @property
    def transfers(self) -> FakeTransfers:
        return self._repository(FakeTransfers)

    @property
    def safe_numbers(self) -> FakeSafeNumbers:
        return self._repository(FakeSafeNumbers)

    @property
    def erasures(self) -> FakeErasures:
        return self._repository(FakeErasures)

    @property
    def requests(self) -> FakeRequests:
        return self._repository(FakeRequests)

    @property
    def ledger(self) -> FakeLedger:
        return self._repository(FakeLedger)

    @property
    def webhooks(self) -> FakeWebhooks:
        return self._repository(FakeWebhooks)


class FakeDatabase:
    """The fake's committed state, and counts of what its units of work did."""

    def __init__(self) -> None:
        self.tables = Tables()
        self.failures: dict[str, Failure] = {}
        self.units: list[FakeUnitOfWork] = []
        self.opened = 0
        self.commits = 0
        self.rollbacks = 0

    def unit_of_work(self, *, read_only: bool = False, snapshot: bool = False) -> FakeUnitOfWork:
        """The factory a Gatehouse calls (see ``Gatehouse.unit_of_work_factory``)."""
        unit = FakeUnitOfWork(self, read_only=read_only, snapshot=snapshot)
        self.units.append(unit)
        return unit

    def fail(self, where: str, error: Exception, *, times: int | None = None) -> None:
        """Make ``Repository.method`` (e.g. ``"Webhooks.enqueue"``) raise ``error``."""
        self.failures[where] = Failure(error, times)

    def committed(self) -> Tables:
        """A copy of the committed tables, to compare before and after a failed use case."""
        return copy.deepcopy(self.tables)

    # -- seeding what no converted use case writes yet ---------------------------------------

    def add_recipient(self, recipient: Recipient) -> Recipient:
        """Register a recipient directly."""
        self.tables.recipients[recipient.id] = recipient
        return recipient

    def add_transfer(self, decision: TransferDecision, view: OpenView | None = None) -> None:
        """Record a transfer decision and, for an allowed one, its open view."""
        self.tables.transfers[decision.id] = decision
        if view is not None:
            self.tables.views[view.transfer_id] = view

    def sign_checkpoint(self, signer: CheckpointSigner, at: datetime) -> Checkpoint:
        """Sign every shard's current head as the next checkpoint, as the service does."""
        states = self.tables.shard_states
        heads = [
            states[shard].head if shard in states else ShardHead.empty(shard)
            for shard in range(LEDGER_SHARDS)
        ]
        checkpoint = signer.sign(len(self.tables.checkpoints) + 1, at, heads)
        self.tables.checkpoints.append(checkpoint)
        return checkpoint

    def entries(self, kind: str | None = None) -> list[LedgerEntry]:
        """Committed ledger entries, in (shard, seq) order, optionally of one kind."""
        return [e for _, e in sorted(self.tables.entries.items()) if kind in (None, e.kind)]


class _NoDatabase:
    """An engine stand-in that fails any use: these tests must not touch SQL."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"a fake-backed test used the database engine ({name})")


@cache
def _packs() -> RulePackSet:
    return load_packs()


_ids = itertools.count(1)


def fake_gatehouse(db: FakeDatabase, clock: Clock | None = None) -> Gatehouse:
    """A Gatehouse on ``db``: the shipped rule packs, a fresh master key, no SQL engine."""
    return Gatehouse(
        engine=_NoDatabase(),  # type: ignore[arg-type]
        keyring=Keyring([MasterKey.generate()]),
        packs=_packs(),
        clock=clock or Clock(),
        _indexer=BlindIndexer(bytes(32)),
        unit_of_work_factory=db.unit_of_work,
    )


def make_recipient(
    *,
    country: str = "CN",
    kind: RecipientKind = RecipientKind.SELLER,
    purposes: tuple[str, ...] = ("fulfilment",),
    status: RecipientStatus = RecipientStatus.ACTIVE,
    at: datetime | None = None,
) -> Recipient:
    """A complete, active register entry with unique names."""
    n = next(_ids)
    when = at or datetime(2026, 11, 1, tzinfo=UTC)
    return Recipient(
        id=f"rcp_fake{n:04d}",
        kind=kind,
        legal_name=f"Shenzhen Bright Trade Co., Ltd. {n}",
        country=country,
        contact_phone="+86 138 0013 8000",
        contact_email=f"ops{n}@bright-trade.example.cn",
        privacy_officer=PrivacyOfficer("Li Wei", f"privacy{n}@bright-trade.example.cn"),
        purposes=purposes,
        retention_days=90,
        certifications=(),
        webhook_url=None,
        status=status,
        accepted_terms_version="t1",
        created_at=when,
        updated_at=when,
    )
