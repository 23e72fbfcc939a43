"""In-memory stand-ins for the unit of work and its repositories: use cases without a database.

``FakeDatabase`` holds the tables (:mod:`tests.support.fake_tables`) as plain Python values.
Each unit of work it makes works on a deep copy of them and puts the copy back only on a clean
exit, so a use case that raises leaves nothing behind, exactly as a rolled-back transaction
would. The repositories live beside this module, by concern: the registries
(:mod:`~tests.support.fake_registries`), orders and transfers
(:mod:`~tests.support.fake_transfers`), the ledger (:mod:`~tests.support.fake_ledger`) and the
queues (:mod:`~tests.support.fake_outbox`); they are re-exported here.

``fake_gatehouse(db)`` gives a :class:`Gatehouse` whose units of work come from ``db`` and
whose engine refuses every use, so a test that reaches for SQL fails loudly.
"""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime
from functools import cache
from types import TracebackType
from typing import Any, Self, TypeVar

from gatehouse.domain.recipients import (
    PrivacyOfficer,
    Recipient,
    RecipientKind,
    RecipientStatus,
)
from gatehouse.ledger import Checkpoint, CheckpointSigner, LedgerEntry, ShardHead
from gatehouse.rules import RulePackSet, load_packs
from gatehouse.services.ledger_append import LEDGER_SHARDS
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.generations import Generations
from gatehouse.store.records import OpenView, StoredTransfer
from gatehouse.vault import BlindIndexer, Keyring, MasterKey
from tests.support.fake_customer import (
    FakeCustomerSessions,
    FakeCustomerTransfers,
    FakeDeletions,
    FakeOperatorEvents,
    FakeRetentionDates,
    FakeRetentionRecords,
)
from tests.support.fake_incidents import FakeIncidents
from tests.support.fake_keys import (
    FakeAbuseFlags,
    FakeApiKeys,
    FakeConsoleSessions,
    FakePortalSessions,
    FakeVaultSecrets,
    FakeWrappedKeys,
)
from tests.support.fake_ledger import FakeLedger
from tests.support.fake_operator import FakeOperatorProfiles
from tests.support.fake_outbox import (
    FakeOperatorWebhooks,
    FakeOutbox,
    FakeWebhookEndpoints,
    FakeWebhooks,
)
from tests.support.fake_policy import FakePolicies, FakePolicyDocuments
from tests.support.fake_register import FakeOverseasRegister
from tests.support.fake_registries import (
    FakeConsents,
    FakeNotices,
    FakeRecipients,
    FakeRequests,
    FakeSubjects,
    FakeTerms,
)
from tests.support.fake_tables import Failure, FakeRepository, Tables
from tests.support.fake_transfers import (
    FakeDashboard,
    FakeErasures,
    FakeOrders,
    FakeSafeNumbers,
    FakeTransfers,
    count_allowed_in,
    widen_window_in,
)

__all__ = [
    "Tables",
    "Failure",
    "FakeRepository",
    "FakeDatabase",
    "FakeUnitOfWork",
    "FakeSubjects",
    "FakeNotices",
    "FakeConsents",
    "FakeRecipients",
    "FakeTerms",
    "FakeRequests",
    "FakeAbuseFlags",
    "FakeApiKeys",
    "FakeVaultSecrets",
    "FakeOrders",
    "FakeTransfers",
    "FakeSafeNumbers",
    "FakeErasures",
    "FakeLedger",
    "FakeWebhooks",
    "FakeOutbox",
    "FakeWebhookEndpoints",
    "FakeOperatorWebhooks",
    "FakeWrappedKeys",
    "FakePortalSessions",
    "FakeConsoleSessions",
    "FakeDashboard",
    "FakeCustomerSessions",
    "FakeCustomerTransfers",
    "FakeRetentionDates",
    "FakeRetentionRecords",
    "FakeDeletions",
    "FakeOperatorEvents",
    "Clock",
    "fake_gatehouse",
    "make_recipient",
]

R = TypeVar("R", bound=FakeRepository)


class Clock:
    """A clock moved by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 28, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


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

    @property
    def abuse_flags(self) -> FakeAbuseFlags:
        return self._repository(FakeAbuseFlags)

    @property
    def api_keys(self) -> FakeApiKeys:
        return self._repository(FakeApiKeys)

    @property
    def vault_secrets(self) -> FakeVaultSecrets:
        return self._repository(FakeVaultSecrets)

    @property
    def outbox(self) -> FakeOutbox:
        return self._repository(FakeOutbox)

    @property
    def webhook_endpoints(self) -> FakeWebhookEndpoints:
        return self._repository(FakeWebhookEndpoints)

    @property
    def operator_webhooks(self) -> FakeOperatorWebhooks:
        return self._repository(FakeOperatorWebhooks)

    @property
    def wrapped_keys(self) -> FakeWrappedKeys:
        return self._repository(FakeWrappedKeys)

    @property
    def dashboard(self) -> FakeDashboard:
        return self._repository(FakeDashboard)

    @property
    def overseas_register(self) -> FakeOverseasRegister:
        return self._repository(FakeOverseasRegister)

    @property
    def portal_sessions(self) -> FakePortalSessions:
        return self._repository(FakePortalSessions)

    @property
    def console_sessions(self) -> FakeConsoleSessions:
        return self._repository(FakeConsoleSessions)

    @property
    def customer_sessions(self) -> FakeCustomerSessions:
        return self._repository(FakeCustomerSessions)

    @property
    def customer_transfers(self) -> FakeCustomerTransfers:
        return self._repository(FakeCustomerTransfers)

    @property
    def retention_dates(self) -> FakeRetentionDates:
        return self._repository(FakeRetentionDates)

    @property
    def retention_records(self) -> FakeRetentionRecords:
        return self._repository(FakeRetentionRecords)

    @property
    def deletions(self) -> FakeDeletions:
        return self._repository(FakeDeletions)

    @property
    def operator_events(self) -> FakeOperatorEvents:
        return self._repository(FakeOperatorEvents)

    @property
    def operator_profiles(self) -> FakeOperatorProfiles:
        return self._repository(FakeOperatorProfiles)

    @property
    def policies(self) -> FakePolicies:
        return self._repository(FakePolicies)

    @property
    def policy_documents(self) -> FakePolicyDocuments:
        return self._repository(FakePolicyDocuments)

    @property
    def incidents(self) -> FakeIncidents:
        return self._repository(FakeIncidents)

    @property
    def generations(self) -> FakeGenerations:
        return FakeGenerations()


class FakeGenerations:
    """The fake bumps nothing, so each read answers generations never seen before: a service
    on the fakes caches nothing and always reads its facts."""

    _next = itertools.count(1)

    def read(self) -> Generations:
        n = next(self._next)
        return Generations(n, n)


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

    def add_transfer(self, decision: StoredTransfer, view: OpenView | None = None) -> None:
        """Record a transfer decision and, for an allowed one, its open view."""
        self.tables.transfers[decision.id] = decision
        if decision.allowed:
            count_allowed_in(self.tables, decision)
        if view is not None:
            self.tables.views[view.transfer_id] = view
            widen_window_in(self.tables, view)

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
