"""The running Gatehouse: database, keys, rule packs and clock, wired once per process."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from gatehouse.config import Settings
from gatehouse.rules import RulePackSet, load_packs
from gatehouse.services.fact_cache import FactCache
from gatehouse.services.group_commit import GroupCommit
from gatehouse.services.ports import DuplicateKey
from gatehouse.services.sql_unit_of_work import SqlUnitOfWork
from gatehouse.services.unit_of_work import UnitOfWork, UnitOfWorkFactory
from gatehouse.services.webhook_address import EgressPolicy
from gatehouse.store import migrate
from gatehouse.store.db import make_engine
from gatehouse.vault import (
    BLIND_INDEX_CONTEXT,
    BlindIndexer,
    Keyring,
    load_keyring,
    new_data_key,
    unwrap_key,
    wrap_key,
)

if TYPE_CHECKING:
    from gatehouse.domain.consents import ConsentRecord
    from gatehouse.services.consents import ConsentAnswer
    from gatehouse.services.transfers import TransferOutcome, TransferRequest

__all__ = ["Limits", "Clock", "Gatehouse", "open_gatehouse", "system_clock", "BLIND_INDEX_SECRET"]

Clock = Callable[[], datetime]
# The vault context the blind-index key is wrapped under (the vault names it too).
BLIND_INDEX_SECRET = BLIND_INDEX_CONTEXT


def system_clock() -> datetime:
    """Now, in UTC. Tests pass their own clock instead."""
    return datetime.now(UTC)


@dataclass
class Limits:
    """Abuse limits for recipients: a request rate per key, and what counts as scraping."""

    requests_per_second: float = 20.0
    burst: int = 100
    scrape_window: timedelta = timedelta(minutes=10)
    # Distinct views one recipient reads inside the window before it is flagged.
    scrape_threshold: int = 200


@dataclass
class Gatehouse:
    """Everything a use case needs; built by :func:`open_gatehouse`."""

    engine: Engine
    keyring: Keyring
    packs: RulePackSet
    clock: Clock = system_clock
    limits: Limits = field(default_factory=Limits)
    # Where signed checkpoints are also published, outside the database; None for nowhere.
    checkpoint_dir: Path | None = None
    # Where archived ledger entries are kept (GATEHOUSE_ARCHIVE_DIR); None for nowhere.
    archive_dir: Path | None = None
    _indexer: BlindIndexer | None = field(default=None, repr=False)
    # None means units of work on ``engine``; tests put an in-memory factory here.
    unit_of_work_factory: UnitOfWorkFactory | None = field(default=None, repr=False)
    # The registry's facts the transfer decision reads, kept per process.
    facts: FactCache = field(default_factory=FactCache, repr=False)
    # Concurrent transfers in this process, gathered into shared transactions.
    transfer_groups: GroupCommit[TransferRequest, TransferOutcome] = field(
        default_factory=GroupCommit, repr=False
    )
    # Where webhooks may go beyond public https addresses (GATEHOUSE_WEBHOOK_ALLOW).
    webhook_egress: EgressPolicy = field(default_factory=EgressPolicy)
    # Concurrent consent saves, gathered the same way.
    consent_groups: GroupCommit[ConsentAnswer, ConsentRecord] = field(
        default_factory=GroupCommit, repr=False
    )
    # Where the per-key rate limit is kept (GATEHOUSE_RATE_LIMIT_URL; empty: this process).
    rate_limit_url: str = ""
    # The read replica (GATEHOUSE_READ_DATABASE_URL); None reads from ``engine``.
    replica_engine: Engine | None = field(default=None, repr=False)

    @property
    def read_engine(self) -> Engine:
        """Where reads that may lag are served: the replica, else the primary's engine."""
        return self.engine if self.replica_engine is None else self.replica_engine

    def unit_of_work(
        self, *, read_only: bool = False, snapshot: bool = False, may_lag: bool = False
    ) -> UnitOfWork:
        """A new unit of work: one transaction and its repositories, used in a ``with``.

        ``read_only`` reads one consistent snapshot and writes nothing; ``snapshot`` reads
        one snapshot and may write (see :mod:`gatehouse.services.unit_of_work`).
        ``may_lag`` (read-only only) reads from the replica, whose snapshot may miss the
        latest commits: for pages, never for a read that decides or answers a change.
        """
        if may_lag and not read_only:
            raise ValueError("only a read-only unit of work may read from the replica")
        if self.unit_of_work_factory is not None:
            # The in-memory stores of the tests have no replica to lag behind.
            return self.unit_of_work_factory(read_only=read_only, snapshot=snapshot)
        engine = self.read_engine if may_lag else self.engine
        return SqlUnitOfWork(engine, read_only=read_only, snapshot=snapshot)

    @property
    def indexer(self) -> BlindIndexer:
        """The blind indexer, whose key is unwrapped from the database on first use."""
        if self._indexer is None:
            self._indexer = BlindIndexer(self._blind_index_key())
        return self._indexer

    def _blind_index_key(self) -> bytes:
        with self.unit_of_work() as uow:
            wrapped = uow.vault_secrets.get(BLIND_INDEX_SECRET)
            if wrapped is not None:
                return unwrap_key(wrapped, BLIND_INDEX_SECRET, self.keyring)
        key = new_data_key()
        try:
            with self.unit_of_work() as uow:
                wrapped = wrap_key(key, BLIND_INDEX_SECRET, self.keyring)
                uow.vault_secrets.add(BLIND_INDEX_SECRET, wrapped, self.clock())
        except DuplicateKey:
            # Another process created it first; theirs is the one every index uses.
            with self.unit_of_work(read_only=True) as uow:
                wrapped = uow.vault_secrets.get(BLIND_INDEX_SECRET)
            assert wrapped is not None
            return unwrap_key(wrapped, BLIND_INDEX_SECRET, self.keyring)
        return key

    def close(self) -> None:
        """Release the connection pools."""
        self.engine.dispose()
        if self.replica_engine is not None:
            self.replica_engine.dispose()


def _replica_engine(settings: Settings) -> Engine | None:
    """The read replica's engine, or None; it must be the same kind of database."""
    url = settings.read_database_url
    if url is None:
        return None
    primary, replica = make_url(settings.database_url), make_url(url)
    if primary.get_backend_name() != replica.get_backend_name():
        # Nothing keeps an SQLite file and a PostgreSQL server in step.
        raise ValueError(
            "GATEHOUSE_READ_DATABASE_URL must name the same kind of database as "
            f"GATEHOUSE_DATABASE_URL ({primary.get_backend_name()}), "
            f"not {replica.get_backend_name()}"
        )
    engine = make_engine(url)
    if replica.get_backend_name() == "postgresql":
        # Every transaction read-only, also outside units of work: a connection handed back
        # to the pool is otherwise reset to READ WRITE, which a hot standby refuses to begin.
        return engine.execution_options(postgresql_readonly=True)
    return engine


def open_gatehouse(
    settings: Settings, *, clock: Clock = system_clock, run_migrations: bool = True
) -> Gatehouse:
    """Load rule packs and keys, migrate the database, and return a ready Gatehouse.

    A broken rule pack, a missing master key, a bad ``GATEHOUSE_WEBHOOK_ALLOW`` or a read
    replica of another kind of database than the primary raises here, before anything is
    served. The replica is not contacted: one that is down fails the pages that read from
    it, not the start of a process that also takes writes.
    """
    webhook_egress = EgressPolicy.parse(settings.webhook_allow)
    packs = load_packs(settings.rules_dir)
    keyring = load_keyring(settings.environ or os.environ, settings.key_file)
    replica = _replica_engine(settings)
    engine = make_engine(settings.database_url)
    if run_migrations:
        migrate.upgrade(engine)
    gatehouse = Gatehouse(
        engine=engine,
        keyring=keyring,
        packs=packs,
        clock=clock,
        webhook_egress=webhook_egress,
        replica_engine=replica,
    )
    gatehouse.checkpoint_dir = settings.checkpoint_dir
    gatehouse.archive_dir = settings.archive_dir
    gatehouse.rate_limit_url = settings.rate_limit_url
    _ = gatehouse.indexer  # fail at start-up, not at the first request, if the key is wrong
    return gatehouse
