"""The unit of work on SQL: one connection, one transaction, repositories built on first use."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self, TypeVar, cast

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from gatehouse.services.ports import Contention, WebhookEvent
from gatehouse.services.sql_errors import translated
from gatehouse.services.sql_ledger import SqlLedger
from gatehouse.services.sqlite_writer import WRITER_WAIT_S, writer_turn
from gatehouse.store.abuse import AbuseFlagRepository
from gatehouse.store.api_keys import ApiKeyRepository
from gatehouse.store.browser_sessions import BrowserSessionRepository
from gatehouse.store.customer_sessions import CustomerSessionRepository
from gatehouse.store.customer_transfers import CustomerTransferRepository
from gatehouse.store.dashboard import DashboardRepository
from gatehouse.store.deletions import DeletionRepository
from gatehouse.store.erasures import ErasureRepository
from gatehouse.store.generations import GenerationRepository
from gatehouse.store.incidents import IncidentRepository
from gatehouse.store.notices import ConsentRepository, NoticeRepository
from gatehouse.store.operator_events import OperatorEventRepository, SealedEvent
from gatehouse.store.operator_profiles import OperatorProfileRepository
from gatehouse.store.operator_webhooks import OperatorWebhookRepository
from gatehouse.store.orders import OrderRepository
from gatehouse.store.outbox import OutboxRepository
from gatehouse.store.overseas_register import OverseasRegisterRepository
from gatehouse.store.policy_documents import PolicyDocumentRepository
from gatehouse.store.privacy_policies import PolicyRepository
from gatehouse.store.recipients import RecipientRepository, TermsRepository
from gatehouse.store.requests import RequestRepository
from gatehouse.store.retention_dates import RetentionDateRepository
from gatehouse.store.retention_records import RetentionRecordRepository
from gatehouse.store.subjects import SubjectRepository, VaultSecretRepository
from gatehouse.store.transfers import SafeNumberPool, TransferRepository
from gatehouse.store.webhook_endpoints import WebhookEndpointRepository
from gatehouse.store.wrapped_keys import WrappedKeyRepository

__all__ = ["SqlUnitOfWork", "SqlLedger", "SqlWebhooks"]


R = TypeVar("R")


class SqlWebhooks:
    """Queues signed webhooks in the connection's transaction."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def enqueue(
        self,
        *,
        recipient_id: str,
        event_type: str,
        webhook_id: str,
        data: Mapping[str, Any],
        at: datetime,
    ) -> str:
        """Queue one event for a recipient and return the job id."""
        # Imported here: the webhook module needs the runtime, and the runtime builds this.
        from gatehouse.services.webhooks import enqueue_webhook

        return enqueue_webhook(
            self._connection,
            recipient_id=recipient_id,
            event_type=event_type,
            webhook_id=webhook_id,
            data=data,
            at=at,
        )

    def enqueue_many(self, events: Sequence[WebhookEvent], at: datetime) -> list[str]:
        """Queue each event for its recipient, in one statement; the job ids, in order."""
        from gatehouse.services.webhooks import enqueue_webhooks

        return enqueue_webhooks(self._connection, events, at)


class SqlOperatorEvents(OperatorEventRepository):
    """Sealed events for the operator's webhook, stored and queued in this transaction."""

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection)
        self._connection = connection

    def enqueue(self, event: SealedEvent) -> str:
        """Store the event and queue its delivery; return the outbox job id."""
        # Imported here: these modules need the runtime, and the runtime builds this.
        from gatehouse.services.operator_webhook import DELIVER
        from gatehouse.services.outbox import enqueue

        self.add(event)
        return enqueue(
            self._connection,
            kind=DELIVER,
            payload={"event_id": event.id},
            at=event.created_at,
            dedupe_key=f"operator-webhook:{event.id}",
        )


def _portal_sessions(connection: Connection) -> BrowserSessionRepository:
    return BrowserSessionRepository(connection, "portal")


def _console_sessions(connection: Connection) -> BrowserSessionRepository:
    return BrowserSessionRepository(connection, "console")


class SqlUnitOfWork:
    """One transaction over ``engine``; see :mod:`gatehouse.services.unit_of_work`.

    A unit of work is entered once. Database errors that a use case may handle surface as the
    ports' exceptions: a unique-key clash as ``DuplicateKey``, a serialization failure or
    deadlock as ``Contention``.
    """

    def __init__(self, engine: Engine, *, read_only: bool = False, snapshot: bool = False) -> None:
        self._engine = engine
        self._read_only = read_only
        self._snapshot = snapshot or read_only
        self._connection: Connection | None = None
        self._writer: threading.RLock | None = None
        self._owns_transaction = True
        self._used = False
        self._repositories: dict[object, object] = {}

    @classmethod
    def joining(cls, connection: Connection) -> SqlUnitOfWork:
        """A unit of work inside the transaction the caller holds on ``connection``.

        It neither commits nor rolls back: the caller's transaction decides. This lets code
        that still passes connections call use cases written against units of work.
        """
        uow = cls(connection.engine)
        uow._connection = connection
        uow._owns_transaction = False
        return uow

    # -- the transaction ----------------------------------------------------------------

    def __enter__(self) -> Self:
        if not self._owns_transaction:
            return self
        if self._used:
            raise RuntimeError("a unit of work is entered once; ask the runtime for another")
        self._used = True
        self._writer = None if self._read_only else writer_turn(self._engine)
        if self._writer is not None and not self._writer.acquire(timeout=WRITER_WAIT_S):
            self._writer = None
            raise Contention("another write held SQLite's writer for too long; try again")
        try:
            connection = self._engine.connect()
            try:
                self._begin(connection)
            except BaseException:
                connection.close()
                raise
        except BaseException:
            self._release_writer()
            raise
        self._connection = connection
        return self

    def _release_writer(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None

    def _begin(self, connection: Connection) -> None:
        if not self._snapshot:
            connection.begin()
        elif connection.dialect.name == "sqlite":
            # pysqlite starts a transaction only at the first write, so each read would see its
            # own snapshot. An explicit BEGIN holds one for the whole unit of work; IMMEDIATE
            # also takes the write lock now, so no writer can commit between our reads and
            # our writes, and the upgrade from reader to writer can never fail.
            connection.exec_driver_sql("BEGIN" if self._read_only else "BEGIN IMMEDIATE")
        else:
            options: dict[str, Any] = {"isolation_level": "REPEATABLE READ"}
            if self._read_only:
                options["postgresql_readonly"] = True
            connection.execution_options(**options)
            connection.begin()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self._owns_transaction:
            return
        connection = self._live()
        self._connection = None
        self._repositories.clear()
        try:
            if exc is None and not self._read_only:
                connection.commit()
            else:
                connection.rollback()
        except DBAPIError as error:
            raise (translated(error) or error) from error
        finally:
            connection.close()
            self._release_writer()
        if exc is not None and (mapped := translated(exc)) is not None:
            raise mapped from exc

    def _live(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("use a unit of work's repositories inside its with block")
        return self._connection

    def _repository(self, build: Callable[[Connection], R]) -> R:
        found = self._repositories.get(build)
        if found is None:
            found = self._repositories[build] = build(self._live())
        return cast(R, found)

    # -- the repositories ---------------------------------------------------------------

    @property
    def subjects(self) -> SubjectRepository:
        """Subjects and their vault material."""
        return self._repository(SubjectRepository)

    @property
    def notices(self) -> NoticeRepository:
        """Rendered notices and published disclosures."""
        return self._repository(NoticeRepository)

    @property
    def consents(self) -> ConsentRepository:
        """The consent history."""
        return self._repository(ConsentRepository)

    @property
    def recipients(self) -> RecipientRepository:
        """The recipient register."""
        return self._repository(RecipientRepository)

    @property
    def terms(self) -> TermsRepository:
        """Published terms versions."""
        return self._repository(TermsRepository)

    @property
    def orders(self) -> OrderRepository:
        """Orders and their events."""
        return self._repository(OrderRepository)

    @property
    def transfers(self) -> TransferRepository:
        """Transfer decisions and views."""
        return self._repository(TransferRepository)

    @property
    def safe_numbers(self) -> SafeNumberPool:
        """The safe-number pool."""
        return self._repository(SafeNumberPool)

    @property
    def erasures(self) -> ErasureRepository:
        """Erasure requests to recipients."""
        return self._repository(ErasureRepository)

    @property
    def requests(self) -> RequestRepository:
        """Rights requests."""
        return self._repository(RequestRepository)

    @property
    def ledger(self) -> SqlLedger:
        """The ledger, appending in this transaction."""
        return self._repository(SqlLedger)

    @property
    def webhooks(self) -> SqlWebhooks:
        """Webhooks queued in this transaction."""
        return self._repository(SqlWebhooks)

    @property
    def abuse_flags(self) -> AbuseFlagRepository:
        """Abuse flags raised against recipients."""
        return self._repository(AbuseFlagRepository)

    @property
    def api_keys(self) -> ApiKeyRepository:
        """API keys, by hash."""
        return self._repository(ApiKeyRepository)

    @property
    def vault_secrets(self) -> VaultSecretRepository:
        """Operator-wide secrets, wrapped by the master key."""
        return self._repository(VaultSecretRepository)

    @property
    def outbox(self) -> OutboxRepository:
        """Background jobs, queued in this transaction or leased to a worker."""
        return self._repository(OutboxRepository)

    @property
    def webhook_endpoints(self) -> WebhookEndpointRepository:
        """Recipients' webhook URLs and signing secrets."""
        return self._repository(WebhookEndpointRepository)

    @property
    def operator_webhooks(self) -> OperatorWebhookRepository:
        """The marketplace's own webhook and its events' delivery."""
        return self._repository(OperatorWebhookRepository)

    @property
    def wrapped_keys(self) -> WrappedKeyRepository:
        """Keys wrapped by the master key, for its rotation."""
        return self._repository(WrappedKeyRepository)

    @property
    def dashboard(self) -> DashboardRepository:
        """Counts of transfer decisions for the console."""
        return self._repository(DashboardRepository)

    @property
    def overseas_register(self) -> OverseasRegisterRepository:
        """The overseas-transfer register's reads."""
        return self._repository(OverseasRegisterRepository)

    @property
    def portal_sessions(self) -> BrowserSessionRepository:
        """The recipient portal's browser sessions."""
        return self._repository(_portal_sessions)

    @property
    def console_sessions(self) -> BrowserSessionRepository:
        """The operator console's browser sessions."""
        return self._repository(_console_sessions)

    @property
    def customer_sessions(self) -> CustomerSessionRepository:
        """The privacy center's sign-in links and cookie sessions."""
        return self._repository(CustomerSessionRepository)

    @property
    def customer_transfers(self) -> CustomerTransferRepository:
        """What the privacy center reads of a customer's allowed transfers."""
        return self._repository(CustomerTransferRepository)

    @property
    def retention_dates(self) -> RetentionDateRepository:
        """The dates a subject's retention periods count from."""
        return self._repository(RetentionDateRepository)

    @property
    def retention_records(self) -> RetentionRecordRepository:
        """The separate retention store."""
        return self._repository(RetentionRecordRepository)

    @property
    def deletions(self) -> DeletionRepository:
        """What a deletion writes about its subject."""
        return self._repository(DeletionRepository)

    @property
    def operator_events(self) -> SqlOperatorEvents:
        """Sealed events for the operator's webhook, queued in this transaction."""
        return self._repository(SqlOperatorEvents)

    @property
    def operator_profiles(self) -> OperatorProfileRepository:
        """The operator's profile, one row per version."""
        return self._repository(OperatorProfileRepository)

    @property
    def policies(self) -> PolicyRepository:
        """Published privacy-policy versions and their registers."""
        return self._repository(PolicyRepository)

    @property
    def policy_documents(self) -> PolicyDocumentRepository:
        """Each policy version's compact documents and its entrustees' rows."""
        return self._repository(PolicyDocumentRepository)

    @property
    def incidents(self) -> IncidentRepository:
        """Breach incidents and the view windows they are measured on."""
        return self._repository(IncidentRepository)

    @property
    def generations(self) -> GenerationRepository:
        """Where the cached facts stand."""
        return self._repository(GenerationRepository)
