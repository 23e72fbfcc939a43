"""A Gatehouse on a PostgreSQL primary and a streaming replica of it, over real HTTP.

The pages that may lag (the console's panels, the overseas register, the audit) read from the
replica named by ``GATEHOUSE_READ_DATABASE_URL``; writes, the transfer decision and whatever a
customer reads back after a change go to the primary. Pausing the replica's replay makes the
difference visible: a transfer written meanwhile is missing from the console until the replica
has replayed up to the primary's commit, while every write and every read of the hot path goes
on as before. Stopping the replica fails the console page and nothing else.

The second half runs every database test of the console's, the audit page's, the privacy
policy page's and the overseas register's test modules unchanged against the pair: ``fresh``,
``backend`` and ``gatehouse`` are replaced here by Gatehouses on the primary with the replica
configured, where each commit waits until the replica has applied it (``remote_apply``), so
tests that write and then read a page hold as they do on one server.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from gatehouse.config import Settings
from gatehouse.services.access import issue_operator_key
from gatehouse.services.runtime import Gatehouse, open_gatehouse
from gatehouse.services.webhook_address import ALLOW_ENV
from gatehouse.vault import MasterKey
from tests import test_overseas_register as register_tests
from tests import test_web_console as console_tests
from tests import test_web_console_audit as audit_tests
from tests import test_web_console_erasures as erasure_tests
from tests import test_web_policy_page as policy_tests
from tests.conftest import WEBHOOK_ALLOW, Backend, Clock, Fresh, postgres_required
from tests.support.factories import subject_body
from tests.support.gateway import allowed_transfer, consent, new_seller, publish_terms
from tests.support.pg_cluster import ClusterUnavailable, PgCluster, ReplicaDatabase, start_cluster
from tests.support.server import CLIENT_TIMEOUT, LiveServer, operator_api

Console = console_tests.Console
count_in = console_tests.count_in


@pytest.fixture(scope="session")
def cluster() -> Iterator[PgCluster]:
    """A primary and its streaming replica for this session, on two free ports."""
    try:
        with start_cluster() as running:
            yield running
    except ClusterUnavailable as exc:
        if postgres_required():
            pytest.fail(f"{exc} (GATEHOUSE_REQUIRE_POSTGRES=1)")
        pytest.skip(str(exc))


def _open(database: ReplicaDatabase, key: MasterKey, clock: Clock) -> Gatehouse:
    settings = Settings.from_env(
        {
            "GATEHOUSE_DATABASE_URL": database.primary_url,
            "GATEHOUSE_READ_DATABASE_URL": database.replica_url,
            "GATEHOUSE_MASTER_KEY": key.to_b64(),
            ALLOW_ENV: WEBHOOK_ALLOW,
        }
    )
    return open_gatehouse(settings, clock=clock)


@dataclass
class Pair:
    """A Gatehouse whose commits do not wait for the replica, served over HTTP."""

    cluster: PgCluster
    database: ReplicaDatabase
    gatehouse: Gatehouse
    server: LiveServer
    api: httpx.Client
    operator_key: str


@pytest.fixture(scope="module")
def pair(cluster: PgCluster) -> Iterator[Pair]:
    with cluster.database() as database:
        gh = _open(database, MasterKey.generate(), Clock())
        try:
            with operator_api(gh) as (server, api):
                key = api.headers["Authorization"].removeprefix("Bearer ")
                yield Pair(cluster, database, gh, server, api, key)
        finally:
            gh.close()


@contextmanager
def replay_paused(cluster: PgCluster) -> Iterator[None]:
    """The replica keeps its connections but applies nothing more until the block ends."""
    cluster.scalar(cluster.replica_url, "SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        cluster.scalar(cluster.replica_url, "SELECT pg_wal_replay_resume()")


def _signed_in(pair: Pair) -> Console:
    console = Console(pair.server.url)
    assert console.login(pair.operator_key).status_code == 303
    return console


def test_the_console_shows_a_transfer_once_the_replica_has_replayed_it(pair: Pair) -> None:
    api = pair.api
    terms = publish_terms(api)
    seller = new_seller(api, pair.server.url, "NZ", terms)
    subject_id = api.post("/v1/subjects", json=subject_body()).json()["id"]
    consent(api, subject_id, seller)
    console = _signed_in(pair)
    try:
        pair.cluster.wait_for_replay()
        before = count_in(console.dashboard(), "country", "NZ")
        with replay_paused(pair.cluster):
            # The decision and its ledger entry commit on the primary while the replica
            # stands still; the panel, read from the replica, does not count it yet.
            allowed_transfer(api, subject_id, seller)
            assert count_in(console.dashboard(), "country", "NZ") == before
        pair.cluster.wait_for_replay()
        assert count_in(console.dashboard(), "country", "NZ") == before + 1
    finally:
        console.close()
        seller.client.close()


def test_writes_and_the_customers_own_reads_never_wait_for_the_replica(pair: Pair) -> None:
    """With replay paused, a whole customer's round trip still sees its own changes."""
    api = pair.api
    terms = publish_terms(api)
    seller = new_seller(api, pair.server.url, "JP", terms)
    try:
        with replay_paused(pair.cluster):
            # A console sign-in writes its session and reads it back on the next page.
            console = _signed_in(pair)
            assert console.get("/console").status_code == 200
            console.close()
            subject_id = api.post("/v1/subjects", json=subject_body()).json()["id"]
            consent_id = consent(api, subject_id, seller)
            _, transfer_id = allowed_transfer(api, subject_id, seller)
            token = api.post(f"/v1/subjects/{subject_id}/sessions").json()["token"]
            me = {"Authorization": f"Bearer {token}"}
            mine = api.get("/v1/me/transfers", headers=me)
            assert mine.status_code == 200, mine.text
            assert transfer_id in {item["transfer_id"] for item in mine.json()["items"]}
            assert seller.client.get(f"/v1/recipient/transfers/{transfer_id}").status_code == 200
            withdrawn = api.post(f"/v1/me/consents/{consent_id}/withdraw", headers=me)
            assert withdrawn.status_code == 200, withdrawn.text
            consents = api.get("/v1/me/consents", headers=me).json()["items"]
            (mine_now,) = [c for c in consents if c["id"] == consent_id]
            assert mine_now["withdrawn_at"] is not None
            # The withdrawal closed the view at once, on the primary.
            assert seller.client.get(f"/v1/recipient/transfers/{transfer_id}").status_code == 410
        pair.cluster.wait_for_replay()
    finally:
        seller.client.close()


def test_the_read_engine_is_the_replica_and_refuses_writes(pair: Pair) -> None:
    gh = pair.gatehouse
    with gh.engine.connect() as primary, gh.read_engine.connect() as replica:
        assert primary.execute(text("SELECT pg_is_in_recovery()")).scalar() is False
        assert replica.execute(text("SELECT pg_is_in_recovery()")).scalar() is True
    # Any write routed to the read engine would fail, whatever the unit of work asked for.
    with (
        pytest.raises(DBAPIError, match="read-only transaction"),
        gh.read_engine.begin() as replica,
    ):
        replica.execute(text("DELETE FROM outbox_jobs WHERE false"))
    with pytest.raises(ValueError, match="read-only"):
        gh.unit_of_work(may_lag=True)


def _replica_sessions(cluster: PgCluster, database: ReplicaDatabase) -> int:
    """Connections to ``database`` on the replica: only the read engine opens any."""
    name = make_url(database.replica_url).database
    count = cluster.scalar(
        cluster.replica_url,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = :name",
        name=name,
    )
    return int(count)


def test_only_the_pages_connect_to_the_replica(cluster: PgCluster) -> None:
    with cluster.database() as database:
        gh = _open(database, MasterKey.generate(), Clock())
        try:
            with operator_api(gh) as (server, api):
                key = api.headers["Authorization"].removeprefix("Bearer ")
                seller = new_seller(api, server.url, "VN", publish_terms(api))
                subject_id = api.post("/v1/subjects", json=subject_body()).json()["id"]
                consent(api, subject_id, seller)
                allowed_transfer(api, subject_id, seller)
                token = api.post(f"/v1/subjects/{subject_id}/sessions").json()["token"]
                me = api.get("/v1/me/transfers", headers={"Authorization": f"Bearer {token}"})
                assert me.status_code == 200 and len(me.json()["items"]) == 1
                seller.client.close()
                console = Console(server.url)
                assert console.login(key).status_code == 303
                # Registries, consent, the decision, the customer's reads, the console's
                # sign-in: all on the primary, not one connection to the replica so far.
                assert _replica_sessions(cluster, database) == 0
                cluster.wait_for_replay()
                assert count_in(console.dashboard(), "country", "VN") == 1
                console.close()
                assert _replica_sessions(cluster, database) >= 1
        finally:
            gh.close()


def test_a_stopped_replica_fails_the_console_and_nothing_else(pair: Pair) -> None:
    api = pair.api
    console = _signed_in(pair)
    pair.cluster.stop_replica()
    try:
        failed = console.get("/console")
        # The replica's outage is the database's, not the request's: a 503 and a retry.
        assert failed.status_code == 503
        assert failed.json()["error"]["code"] == "database_unavailable"
        assert failed.headers["Retry-After"] == "5"
        # The process still takes writes, so it stays ready; the probe names the replica.
        probe = httpx.get(f"{pair.server.url}/readyz", timeout=CLIENT_TIMEOUT)
        assert probe.status_code == 200
        assert probe.json()["replica"] is False
        terms = publish_terms(api)
        seller = new_seller(api, pair.server.url, "SG", terms)
        subject_id = api.post("/v1/subjects", json=subject_body()).json()["id"]
        consent(api, subject_id, seller)
        allowed_transfer(api, subject_id, seller)
        seller.client.close()
    finally:
        pair.cluster.start_replica()
    pair.cluster.wait_for_replay()
    assert "Rights requests by due date" in console.dashboard()
    assert httpx.get(f"{pair.server.url}/readyz", timeout=CLIENT_TIMEOUT).json()["replica"] is True
    console.close()


# --- the page modules' own tests, against the pair -------------------------------------------


@pytest.fixture(scope="session")
def synchronous_database(cluster: PgCluster) -> Iterator[ReplicaDatabase]:
    with cluster.database(apply_before_commit=True) as database:
        yield database


@pytest.fixture(scope="session")
def backend(synchronous_database: ReplicaDatabase) -> Backend:
    """The primary stands for the backend; the Gatehouse below also reads from the replica."""
    return Backend("postgres", synchronous_database.primary_url)


@pytest.fixture(scope="session")
def gatehouse(
    synchronous_database: ReplicaDatabase, master_key: MasterKey, clock: Clock
) -> Iterator[Gatehouse]:
    gh = _open(synchronous_database, master_key, clock)
    yield gh
    gh.close()


# The server and the key are the pair's own too: conftest's would be the ones made for the
# main database, kept for the whole session once a test of another module has asked for them.
@pytest.fixture(scope="session")
def live_server(gatehouse: Gatehouse) -> Iterator[LiveServer]:
    with LiveServer(gatehouse) as server:
        yield server


@pytest.fixture(scope="session")
def operator_key(gatehouse: Gatehouse) -> str:
    return issue_operator_key(gatehouse, gatehouse.clock(), label="tests")


@pytest.fixture
def fresh(cluster: PgCluster) -> Iterator[Fresh]:
    with cluster.database(apply_before_commit=True) as database:
        key, clock = MasterKey.generate(), Clock()
        gh = _open(database, key, clock)
        try:
            yield Fresh(Backend("postgres", database.primary_url), gh, key, clock)
        finally:
            gh.close()


# Fixtures those tests use, then every test of those modules, collected here a second time
# under the module's short name.
console = console_tests.console
sellers = console_tests.sellers
world = policy_tests.world
signed = audit_tests.signed
register = register_tests.register

PAGE_TESTS = {
    "console": console_tests,
    "console_erasures": erasure_tests,
    "console_audit": audit_tests,
    "policy_page": policy_tests,
    "overseas_register": register_tests,
}
# The fixtures through which a test reaches a database; tests without one are not repeated.
DATABASE_FIXTURES = {"fresh", "gatehouse", "live_server", "api", "anonymous", "operator_key"}
DATABASE_FIXTURES |= {"console", "world", "signed", "register"}


def _reaches_the_database(test: Callable[..., object]) -> bool:
    return bool(DATABASE_FIXTURES & set(inspect.signature(test).parameters))


for _short, _module in PAGE_TESTS.items():
    for _name, _test in vars(_module).items():
        if _name.startswith("test_") and callable(_test) and _reaches_the_database(_test):
            globals()[f"test_{_short}__{_name.removeprefix('test_')}"] = _test
