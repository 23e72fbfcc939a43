"""SQLite's writers in one process take turns on a lock; PostgreSQL's run side by side."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, func, select

from gatehouse.services import sql_unit_of_work
from gatehouse.services.access import issue_operator_key
from gatehouse.services.ports import Contention
from gatehouse.services.sqlite_writer import writer_turn
from gatehouse.store.tables import api_keys
from tests.conftest import Fresh


def test_only_sqlite_engines_have_a_writer_turn_and_each_has_its_own() -> None:
    first = create_engine("sqlite://")
    second = create_engine("sqlite://")
    server = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    try:
        assert writer_turn(first) is writer_turn(first)
        assert writer_turn(first) is not writer_turn(second)
        assert writer_turn(server) is None
    finally:
        for engine in (first, second, server):
            engine.dispose()


def test_concurrent_writers_all_commit(fresh: Fresh) -> None:
    gh = fresh.gatehouse

    def issue(n: int) -> str:
        return issue_operator_key(gh, fresh.clock(), label=f"writer-{n}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = list(pool.map(issue, range(80)))

    assert len(set(keys)) == 80
    with gh.engine.connect() as connection:
        labels = connection.execute(
            select(func.count()).select_from(api_keys).where(api_keys.c.label.like("writer-%"))
        ).scalar_one()
    assert labels == 80


def test_a_write_inside_a_write_on_one_thread_does_not_wait_for_itself(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    with gh.unit_of_work() as outer:
        outer.api_keys.find_by_hash("0" * 64)
        issue_operator_key(gh, fresh.clock(), label="nested")
    with gh.engine.connect() as connection:
        count = connection.execute(
            select(func.count()).select_from(api_keys).where(api_keys.c.label == "nested")
        ).scalar_one()
    assert count == 1


# SQLite only: PostgreSQL's writers have no turn to wait for.
@pytest.mark.parametrize("fresh", ["sqlite"], indirect=True)
def test_a_writer_that_waits_too_long_gives_up_with_contention(
    fresh: Fresh, monkeypatch: pytest.MonkeyPatch
) -> None:
    gh = fresh.gatehouse
    turn = writer_turn(gh.engine)
    assert turn is not None
    monkeypatch.setattr(sql_unit_of_work, "WRITER_WAIT_S", 0.05)
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with turn:
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(5)
        with pytest.raises(Contention), gh.unit_of_work() as uow:
            uow.api_keys.find_by_hash("0" * 64)
        # A reader does not wait for the writer.
        with gh.unit_of_work(read_only=True) as uow:
            assert uow.api_keys.find_by_hash("0" * 64) is None
    finally:
        release.set()
        holder.join()
    # Once the turn is free, writing works again.
    issue_operator_key(gh, fresh.clock(), label="after")
