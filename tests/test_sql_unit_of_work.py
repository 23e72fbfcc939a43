"""The unit of work on each database: one transaction, committed whole or not at all."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from gatehouse.domain.terms import Terms
from gatehouse.services.ports import DuplicateKey
from gatehouse.services.sql_unit_of_work import SqlUnitOfWork
from gatehouse.services.unit_of_work import UnitOfWork
from gatehouse.store.ledger_tables import ledger_entries
from gatehouse.store.tables import terms_versions
from tests.conftest import Fresh

AT = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
CLAUSES = {"deletion": "Deleted on request."}


def terms(version: str) -> Terms:
    return Terms(version=version, clauses=CLAUSES, published_at=AT)


def count(fresh: Fresh, table: object) -> int:
    with fresh.gatehouse.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def append(uow: UnitOfWork, kind: str = "test.event") -> None:
    uow.ledger.append(kind=kind, at=AT, subject_id="sub_1", recipient_id=None, payload={})


def test_a_clean_exit_commits_and_an_error_rolls_everything_back(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    with gh.unit_of_work() as uow:
        uow.terms.add(terms("v1"))
        append(uow)
    with pytest.raises(RuntimeError), gh.unit_of_work() as uow:
        uow.terms.add(terms("v2"))
        append(uow)
        raise RuntimeError("the use case failed")

    assert count(fresh, terms_versions) == 1 and count(fresh, ledger_entries) == 1
    with gh.unit_of_work(read_only=True) as uow:
        assert uow.terms.current() == terms("v1")


def test_a_unique_key_clash_is_the_ports_duplicate_key(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    with gh.unit_of_work() as uow:
        uow.terms.add(terms("v1"))
    with pytest.raises(DuplicateKey), gh.unit_of_work() as uow:
        uow.terms.add(terms("v1"))
    assert count(fresh, terms_versions) == 1


def test_a_read_only_unit_sees_one_snapshot_and_keeps_nothing(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    with gh.unit_of_work() as uow:
        append(uow)
    with gh.unit_of_work(read_only=True) as reader:
        first = reader.ledger.find()
        # A writer commits meanwhile, on another connection and thread.
        writer = threading.Thread(target=lambda: _append_once(fresh))
        writer.start()
        writer.join()
        assert reader.ledger.find() == first
    assert count(fresh, ledger_entries) == 2


def test_a_snapshot_unit_reads_and_writes_in_one_transaction(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    with gh.unit_of_work(snapshot=True) as uow:
        seen = len(uow.ledger.find())
        append(uow, "test.snapshot")
        assert len(uow.ledger.find()) == seen + 1
    with pytest.raises(RuntimeError), gh.unit_of_work(snapshot=True) as uow:
        append(uow, "test.lost")
        raise RuntimeError("the use case failed")
    assert count(fresh, ledger_entries) == seen + 1


def _append_once(fresh: Fresh) -> None:
    with fresh.gatehouse.unit_of_work() as uow:
        append(uow, "test.meanwhile")


def test_a_joining_unit_leaves_the_transaction_to_its_owner(fresh: Fresh) -> None:
    engine = fresh.gatehouse.engine
    with engine.connect() as connection:
        transaction = connection.begin()
        with SqlUnitOfWork.joining(connection) as uow:
            uow.terms.add(terms("v1"))
        transaction.rollback()
    assert count(fresh, terms_versions) == 0


def test_a_unit_is_entered_once_and_used_inside_its_block(fresh: Fresh) -> None:
    uow = fresh.gatehouse.unit_of_work()
    with pytest.raises(RuntimeError):
        uow.terms.current()
    with uow:
        uow.terms.current()
    with pytest.raises(RuntimeError), uow:
        pass


def test_every_repository_reads_on_its_connection(fresh: Fresh) -> None:
    # One cheap read through each repository that needs no row: each is built on the unit's
    # connection and its SQL runs on both databases.
    with fresh.gatehouse.unit_of_work(read_only=True) as uow:
        assert uow.outbox.counts() == {"pending": 0, "running": 0, "done": 0, "dead": 0}
        assert uow.api_keys.find_by_hash("0" * 64) is None
        assert uow.vault_secrets.get("nothing") is None
        assert uow.abuse_flags.recent(None, 10) == []
        assert uow.webhook_endpoints.endpoint("rcp_nobody") is None
        assert uow.operator_webhooks.setting() is None
        assert uow.operator_webhooks.event("evt_nothing") is None
        assert uow.wrapped_keys.not_under("operator_event", "kek_new") == []
        assert uow.dashboard.refusals_by_reason() == {}
        assert uow.portal_sessions.find("0" * 64) is None
        assert uow.console_sessions.find("0" * 64) is None
        assert uow.transfers.view("trf_nothing") is None
        assert uow.transfers.expired_open_views(AT) == []
        assert uow.erasures.deletion("del_nothing") is None
        assert uow.ledger.distinct_transfers(kind="view.read", recipient_id="rcp_1", since=AT) == 0
        assert uow.ledger.checkpoint_bodies() == []
