"""The engines: PostgreSQL's pool checks connections only when one fails, and a connection the
server dropped costs one request a 503, after which the pool reconnects on its own."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from gatehouse.services.access import issue_operator_key
from gatehouse.store.db import make_engine
from tests.conftest import Fresh
from tests.support.server import LiveServer, api_client


def test_the_pool_does_not_ping_at_each_checkout(fresh: Fresh) -> None:
    engine = make_engine(fresh.backend.url)
    try:
        assert engine.pool._pre_ping is False  # a round trip saved on every request
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


def test_a_dropped_connection_answers_503_once_then_the_pool_reconnects(fresh: Fresh) -> None:
    if fresh.backend.name != "postgres":
        pytest.skip("an SQLite file has no server to drop a connection")
    gh = fresh.gatehouse
    token = issue_operator_key(gh, gh.clock())
    headers = {"Authorization": f"Bearer {token}"}
    with (
        LiveServer(gh) as server,
        api_client(server.url, headers=headers) as client,
    ):
        assert client.get("/v1/recipients?limit=1").status_code == 200
        admin = create_engine(fresh.backend.url, poolclass=NullPool)
        try:
            with admin.connect() as connection:
                # The server ends every other session on this database, as a restart would.
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
        finally:
            admin.dispose()
        statuses = [client.get("/v1/recipients?limit=1").status_code for _ in range(3)]
    assert statuses == [503, 200, 200]
