"""Shared fixtures: a fresh database per backend, a real HTTP server, an injectable clock.

Each test session creates its own SQLite file and its own PostgreSQL database (when
GATEHOUSE_TEST_POSTGRES_URL is set) and drops them at the end.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NoReturn

import httpx
import pytest
from sqlalchemy.engine import make_url

from gatehouse.config import Settings
from gatehouse.services.access import issue_operator_key
from gatehouse.services.runtime import Gatehouse, open_gatehouse
from gatehouse.services.webhook_address import ALLOW_ENV
from gatehouse.store.scratch import scratch_database
from gatehouse.vault import MasterKey
from tests.support.server import LiveServer, api_client

# The tests' webhook endpoints are real HTTP servers on this machine: allow them, as a
# developer would, for the fixtures' Gatehouses and for the processes the tests start.
# tests/test_webhook_egress*.py build Gatehouses without it to see the refusals.
WEBHOOK_ALLOW = "127.0.0.1/32,::1/128,localhost"
os.environ[ALLOW_ENV] = WEBHOOK_ALLOW

POSTGRES_ENV = "GATEHOUSE_TEST_POSTGRES_URL"


def postgres_required() -> bool:
    """CI sets this: a missing PostgreSQL is then a failure, never a skip."""
    return os.environ.get("GATEHOUSE_REQUIRE_POSTGRES") == "1"


class Clock:
    """A clock the tests move by hand, so no test sleeps."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 28, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Backend:
    name: str
    url: str


def _postgres_database(admin_url: str) -> Iterator[str]:
    try:
        scratch = scratch_database(admin_url, prefix="gatehouse_test")
        url = scratch.__enter__()
    except Exception as exc:  # the message says which server could not be reached
        message = f"PostgreSQL at {make_url(admin_url).render_as_string()} is unreachable: {exc}"
        if postgres_required():
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield url
    finally:
        scratch.__exit__(None, None, None)


def fresh_backend(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """A new, empty database of ``kind``, dropped when the generator closes."""
    if kind == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "gatehouse.db"
        yield Backend("sqlite", f"sqlite:///{path}")
        return
    admin_url = os.environ.get(POSTGRES_ENV)
    if not admin_url:
        if postgres_required():
            pytest.fail(f"{POSTGRES_ENV} is not set but PostgreSQL is required")
        pytest.skip(f"{POSTGRES_ENV} is not set; PostgreSQL tests need a server")
    yield from (Backend("postgres", url) for url in _postgres_database(admin_url))


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    """Each storage backend in turn, with a database made for this run only."""
    yield from fresh_backend(request.param, tmp_path_factory)


@dataclass
class Fresh:
    """A Gatehouse on its own new database, for tests that count or tamper."""

    backend: Backend
    gatehouse: Gatehouse
    master_key: MasterKey
    clock: Clock


@pytest.fixture(params=["sqlite", "postgres"])
def fresh(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fresh]:
    """A Gatehouse on a new, empty database of each kind, dropped afterwards."""
    yield from _fresh_gatehouse(request.param, tmp_path_factory)


@pytest.fixture
def postgres_fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fresh]:
    """:func:`fresh` on PostgreSQL alone, for what only PostgreSQL does."""
    yield from _fresh_gatehouse("postgres", tmp_path_factory)


def _fresh_gatehouse(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fresh]:
    for backend in fresh_backend(kind, tmp_path_factory):
        key = MasterKey.generate()
        clock = Clock()
        settings = Settings.from_env(
            {
                "GATEHOUSE_DATABASE_URL": backend.url,
                "GATEHOUSE_MASTER_KEY": key.to_b64(),
                ALLOW_ENV: WEBHOOK_ALLOW,
            }
        )
        gh = open_gatehouse(settings, clock=clock)
        yield Fresh(backend, gh, key, clock)
        gh.close()


@pytest.fixture(scope="session")
def master_key() -> MasterKey:
    return MasterKey.generate()


@pytest.fixture(scope="session")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def gatehouse(
    backend: Backend, master_key: MasterKey, clock: Clock, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gatehouse]:
    """An opened Gatehouse on the backend, migrated, with the test clock."""
    key_file = tmp_path_factory.mktemp("keys") / "unused.key"
    settings = Settings.from_env(
        {
            "GATEHOUSE_DATABASE_URL": backend.url,
            "GATEHOUSE_MASTER_KEY": master_key.to_b64(),
            "GATEHOUSE_KEY_FILE": str(key_file),
            ALLOW_ENV: WEBHOOK_ALLOW,
        }
    )
    gh = open_gatehouse(settings, clock=clock)
    yield gh
    gh.close()


@pytest.fixture(scope="session")
def live_server(gatehouse: Gatehouse) -> Iterator[LiveServer]:
    with LiveServer(gatehouse) as server:
        yield server


@pytest.fixture(scope="session")
def operator_key(gatehouse: Gatehouse) -> str:
    return issue_operator_key(gatehouse, gatehouse.clock(), label="tests")


@pytest.fixture
def api(live_server: LiveServer, operator_key: str) -> Iterator[httpx.Client]:
    """An HTTP client speaking to the live server as the operator."""
    with api_client(live_server.url, operator_key) as client:
        yield client


@pytest.fixture
def anonymous(live_server: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client with no credentials."""
    with api_client(live_server.url) as client:
        yield client


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


NOTO_CJK_KR = "Noto Sans CJK KR"


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("GATEHOUSE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (GATEHOUSE_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pdf_engine() -> None:
    """WeasyPrint with its libraries, and the Noto CJK fonts that fontconfig finds."""
    try:
        importlib.import_module("weasyprint")
    except (ImportError, OSError) as exc:
        _unavailable(f"WeasyPrint cannot load: {exc}")
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        _unavailable("fc-list is missing; install Debian's fontconfig")
    found = subprocess.run(
        [fc_list, NOTO_CJK_KR, "family"], capture_output=True, text=True, check=False
    ).stdout
    if NOTO_CJK_KR not in found:
        _unavailable(f"the {NOTO_CJK_KR} font is missing; install Debian's fonts-noto-cjk")
