"""Settings from the environment, and what the read-replica setting does to a Gatehouse.

The replica itself, a streaming PostgreSQL standby, is exercised in test_read_replica.py;
here an SQLite copy taken before a write stands in for a replica that lags, which is enough
to see which reads go where.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from gatehouse.config import DEFAULT_DATABASE_FILE, DEFAULT_KEY_FILE, Settings
from gatehouse.services import console
from gatehouse.services.outbox import enqueue, known_kinds
from gatehouse.services.runtime import Gatehouse, open_gatehouse
from gatehouse.vault import MasterKey
from tests.conftest import Clock, Fresh


def test_with_nothing_set_an_sqlite_file_and_no_replica() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == f"sqlite:///{DEFAULT_DATABASE_FILE}"
    assert settings.key_file == Path(DEFAULT_KEY_FILE)
    assert settings.read_database_url is None
    assert settings.rules_dir is None and settings.checkpoint_dir is None
    assert settings.webhook_allow == "" and settings.rate_limit_url == ""


def test_every_setting_is_read_from_its_variable() -> None:
    settings = Settings.from_env(
        {
            "GATEHOUSE_DATABASE_URL": "postgresql+psycopg://primary/gatehouse",
            "GATEHOUSE_READ_DATABASE_URL": "postgresql+psycopg://replica/gatehouse",
            "GATEHOUSE_KEY_FILE": "keys/master.key",
            "GATEHOUSE_RULES_DIR": "rules",
            "GATEHOUSE_CHECKPOINT_DIR": "anchors",
            "GATEHOUSE_WEBHOOK_ALLOW": "10.0.0.0/8",
            "GATEHOUSE_RATE_LIMIT_URL": "database",
        }
    )
    assert settings.database_url == "postgresql+psycopg://primary/gatehouse"
    assert settings.read_database_url == "postgresql+psycopg://replica/gatehouse"
    assert settings.key_file == Path("keys/master.key")
    assert settings.rules_dir == Path("rules") and settings.checkpoint_dir == Path("anchors")
    assert settings.webhook_allow == "10.0.0.0/8" and settings.rate_limit_url == "database"


def test_an_empty_replica_url_means_no_replica() -> None:
    assert Settings.from_env({"GATEHOUSE_READ_DATABASE_URL": ""}).read_database_url is None


KEY = MasterKey.generate()


def _open(tmp_path: Path, read_url: str | None) -> Gatehouse:
    environ = {
        "GATEHOUSE_DATABASE_URL": f"sqlite:///{tmp_path / 'primary.db'}",
        "GATEHOUSE_MASTER_KEY": KEY.to_b64(),
    }
    if read_url is not None:
        environ["GATEHOUSE_READ_DATABASE_URL"] = read_url
    return open_gatehouse(Settings.from_env(environ), clock=Clock())


def test_a_replica_of_another_kind_of_database_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match=r"same kind of database .*\(sqlite\), not postgresql"
    ) as raised:
        _open(tmp_path, "postgresql+psycopg://postgres:secret@replica.invalid/gatehouse")
    assert "secret" not in str(raised.value) and "replica.invalid" not in str(raised.value)


def _pending(gh: Gatehouse) -> int:
    return console.dashboard(gh, "en").job_counts["pending"]


def _queue_one(gh: Gatehouse) -> None:
    with gh.unit_of_work() as uow:
        enqueue(uow.outbox, kind=known_kinds()[0], payload={}, at=gh.clock())


def test_the_console_reads_from_the_replica_and_writes_go_to_the_primary(tmp_path: Path) -> None:
    seed = _open(tmp_path, None)
    _queue_one(seed)
    seed.close()
    # The "replica": the primary as it was before the next write.
    with (
        sqlite3.connect(tmp_path / "primary.db") as source,
        sqlite3.connect(tmp_path / "replica.db") as copy,
    ):
        source.backup(copy)
    gh = _open(tmp_path, f"sqlite:///{tmp_path / 'replica.db'}")
    try:
        assert gh.read_engine is not gh.engine
        assert _pending(gh) == 1
        _queue_one(gh)
        with gh.unit_of_work(read_only=True) as uow:
            assert uow.outbox.counts()["pending"] == 2
        # The console still shows the replica's state: it has not "replayed" the write.
        assert _pending(gh) == 1
    finally:
        gh.close()


def test_without_a_replica_reads_that_may_lag_use_the_primary(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    assert gh.read_engine is gh.engine
    _queue_one(gh)
    assert _pending(gh) == 1


def test_only_a_read_only_unit_of_work_may_lag(fresh: Fresh) -> None:
    with pytest.raises(ValueError, match="only a read-only unit of work"):
        fresh.gatehouse.unit_of_work(may_lag=True)
