"""Readiness: ready only when the database answers and its schema is this code's newest."""

from __future__ import annotations

import httpx
from sqlalchemy import text

from gatehouse.services.readiness import readiness
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.db import make_engine
from gatehouse.store.migrate import head_revision
from tests.conftest import Fresh
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
