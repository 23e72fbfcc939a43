"""Readiness: ready only when the database answers and its schema is this code's newest."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import text

from gatehouse.rules import load_packs
from gatehouse.services.readiness import PROBE_TIMEOUT_MS, readiness
from gatehouse.services.runtime import Gatehouse
from gatehouse.store import migrate
from gatehouse.store.db import make_engine
from gatehouse.store.migrate import head_revision
from gatehouse.vault import Keyring, MasterKey
from tests.conftest import Fresh, fresh_backend
from tests.support.migrations import upgrade_to
from tests.support.server import LiveServer


def test_a_migrated_database_is_ready(fresh: Fresh) -> None:
    state = readiness(fresh.gatehouse)
    assert state.ready and state.database
    assert state.schema_revision == head_revision() is not None
    with LiveServer(fresh.gatehouse) as server:
        answer = httpx.get(f"{server.url}/readyz", timeout=10)
    assert answer.status_code == 200
    assert answer.json() == {
        "ready": True,
        "database": True,
        "schema_revision": head_revision(),
        "expected_revision": head_revision(),
        # No replica configured: nothing to report (tests/test_read_replica.py has one).
        "replica": None,
    }


def test_a_schema_behind_the_code_is_not_ready(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    with gh.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0010'"))
    state = readiness(gh)
    assert state.database and not state.ready
    assert state.schema_revision == "0010"
    with LiveServer(gh) as server:
        answer = httpx.get(f"{server.url}/readyz", timeout=10)
    assert answer.status_code == 503
    assert answer.json()["ready"] is False and answer.json()["schema_revision"] == "0010"


def test_a_database_that_does_not_answer_is_not_ready(fresh: Fresh) -> None:
    # Port 1 on loopback: nothing listens, so the driver is refused at once.
    dead = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2")
    gh = Gatehouse(engine=dead, keyring=fresh.gatehouse.keyring, packs=fresh.gatehouse.packs)
    try:
        state = readiness(gh)
    finally:
        dead.dispose()
    assert not state.database and not state.ready and state.schema_revision is None


# -- during a migration ---------------------------------------------------------------------

# An old revision: the upgrade from it to head runs many steps, so the probe is asked midway.
OLD_REVISION = "0005"


@pytest.fixture(params=["sqlite", "postgres"])
def behind(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gatehouse]:
    """A Gatehouse on a new database of each kind, migrated only to an old revision."""
    for backend in fresh_backend(request.param, tmp_path_factory):
        engine = make_engine(backend.url)
        try:
            upgrade_to(engine, OLD_REVISION)
            yield Gatehouse(
                engine=engine, keyring=Keyring([MasterKey.generate()]), packs=load_packs()
            )
        finally:
            engine.dispose()


class Poller:
    """Asks /readyz over and over in a thread, and keeps every answer (or the error instead)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.answers: list[int | str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self.stop.is_set():
                try:
                    self.answers.append(client.get(f"{self.url}/readyz").status_code)
                except httpx.HTTPError as exc:
                    self.answers.append(type(exc).__name__)

    def __enter__(self) -> Poller:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


def test_readiness_follows_a_migration_without_ever_failing(behind: Gatehouse) -> None:
    gh = behind
    with LiveServer(gh) as server:
        before = httpx.get(f"{server.url}/readyz", timeout=10)
        assert before.status_code == 503
        assert before.json()["schema_revision"] == OLD_REVISION and before.json()["database"]
        assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200

        # The release's migration runs on its own connection while the old process is probed.
        migrator = make_engine(gh.engine.url.render_as_string(hide_password=False))
        try:
            with Poller(server.url) as poller:
                while len(poller.answers) < 3:  # the probe is running before the migration
                    time.sleep(0.01)
                asked_before = len(poller.answers)
                migrate.upgrade(migrator)
                asked_during = len(poller.answers) - asked_before
        finally:
            migrator.dispose()
        after = httpx.get(f"{server.url}/readyz", timeout=10)

    assert asked_during >= 1  # the probe was answering while the schema changed under it
    assert set(poller.answers) <= {200, 503}, poller.answers
    assert after.status_code == 200 and after.json()["schema_revision"] == head_revision()


def test_a_migration_holding_the_version_table_makes_the_probe_answer_not_ready(
    fresh: Fresh,
) -> None:
    if fresh.backend.name != "postgres":
        pytest.skip("PostgreSQL only: SQLite readers do not wait for a writer in WAL mode")
    gh = fresh.gatehouse
    holder = gh.engine.connect()
    with LiveServer(gh) as server:
        try:
            holder.begin()
            holder.execute(text("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE"))
            with httpx.Client(timeout=10) as client:
                started = time.monotonic()
                answers = [client.get(f"{server.url}/readyz") for _ in range(3)]
                took = time.monotonic() - started
        finally:
            holder.rollback()
            holder.close()
        released = httpx.get(f"{server.url}/readyz", timeout=10)
    assert [a.status_code for a in answers] == [503, 503, 503]
    assert answers[0].json()["database"] is False
    # Each probe gave up after its limit instead of waiting for the lock.
    assert took < 3 * (PROBE_TIMEOUT_MS / 1000 + 1)
    assert released.status_code == 200
