"""The unit of work: one transaction, and the repositories a use case reaches through it.

A use case opens one with :meth:`gatehouse.services.runtime.Gatehouse.unit_of_work` and does
all its reading and writing inside the ``with`` block::

    with gh.unit_of_work() as uow:
        subject = uow.subjects.get(subject_id)
        uow.consents.append(record)
        uow.ledger.append(kind="consent.granted", ...)

Leaving the block normally commits; leaving it by an exception rolls everything back, ledger
entries and queued webhooks included. ``read_only=True`` reads one consistent snapshot and
writes nothing; ``snapshot=True`` reads one snapshot and may still write, at the price of
:class:`~gatehouse.services.ports.Contention` when a concurrent writer gets in the way.

``read_only=True, may_lag=True`` reads from the read replica when one is configured
(``GATEHOUSE_READ_DATABASE_URL``), the primary otherwise. A replica replays the primary's
commits a moment later, so only pages that may show data a moment old ask for it: the
console's panels, the overseas register, the audit. Writes, the transfer decision and
everything a customer reads back after changing it stay on the primary.
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from gatehouse.services.ports import (
    AbuseFlags,
    ApiKeys,
    BrowserSessions,
    Consents,
    DashboardCounts,
    Erasures,
    Ledger,
    Notices,
    OperatorWebhooks,
    Orders,
    Outbox,
    OverseasRegister,
    Recipients,
    Requests,
    SafeNumbers,
    Subjects,
    TermsVersions,
    Transfers,
    VaultSecrets,
    WebhookEndpoints,
    Webhooks,
    WrappedKeys,
)
from gatehouse.services.ports_customer import (
    CustomerSessions,
    CustomerTransfers,
    Deletions,
    OperatorEvents,
    RetentionDates,
    RetentionRecords,
)
from gatehouse.services.ports_incidents import Incidents
from gatehouse.services.ports_operator import OperatorProfiles
from gatehouse.services.ports_policy import Policies, PolicyDocuments
from gatehouse.services.ports_transfers import FactGenerations

__all__ = ["UnitOfWork", "UnitOfWorkFactory"]


class UnitOfWork(Protocol):
    """One transaction with its repositories; commit on a clean exit, roll back on error."""

    @property
    def subjects(self) -> Subjects: ...

    @property
    def notices(self) -> Notices: ...

    @property
    def consents(self) -> Consents: ...

    @property
    def recipients(self) -> Recipients: ...

    @property
    def terms(self) -> TermsVersions: ...

    @property
    def orders(self) -> Orders: ...

    @property
    def transfers(self) -> Transfers: ...

    @property
    def safe_numbers(self) -> SafeNumbers: ...

    @property
    def erasures(self) -> Erasures: ...

    @property
    def requests(self) -> Requests: ...

    @property
    def ledger(self) -> Ledger: ...

    @property
    def webhooks(self) -> Webhooks: ...

    @property
    def abuse_flags(self) -> AbuseFlags: ...

    @property
    def api_keys(self) -> ApiKeys: ...

    @property
    def vault_secrets(self) -> VaultSecrets: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def webhook_endpoints(self) -> WebhookEndpoints: ...

    @property
    def operator_webhooks(self) -> OperatorWebhooks: ...

    @property
    def wrapped_keys(self) -> WrappedKeys: ...

    @property
    def dashboard(self) -> DashboardCounts: ...

    @property
    def overseas_register(self) -> OverseasRegister: ...

    @property
    def portal_sessions(self) -> BrowserSessions: ...

    @property
    def console_sessions(self) -> BrowserSessions: ...

    @property
    def customer_sessions(self) -> CustomerSessions: ...

    @property
    def customer_transfers(self) -> CustomerTransfers: ...

    @property
    def retention_dates(self) -> RetentionDates: ...

    @property
    def retention_records(self) -> RetentionRecords: ...

    @property
    def deletions(self) -> Deletions: ...

    @property
    def operator_events(self) -> OperatorEvents: ...

    @property
    def operator_profiles(self) -> OperatorProfiles: ...

    @property
    def policies(self) -> Policies: ...

    @property
    def policy_documents(self) -> PolicyDocuments: ...

    @property
    def incidents(self) -> Incidents: ...

    @property
    def generations(self) -> FactGenerations: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


class UnitOfWorkFactory(Protocol):
    """Makes units of work; the runtime holds one, and tests give it an in-memory one."""

    def __call__(self, *, read_only: bool, snapshot: bool) -> UnitOfWork: ...
