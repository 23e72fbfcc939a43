"""The migrations build exactly the schema the code declares, for every table, on each backend.

Every ``gatehouse`` module is imported first, so a table declared anywhere is in the comparison,
and a table declared on a metadata of its own (which the migrations would never see) fails.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, Table, inspect

import gatehouse
from gatehouse.store import migrate
from gatehouse.store.db import make_engine
from gatehouse.store.tables import metadata
from tests.conftest import fresh_backend

# ``__main__`` runs the CLI and the migration scripts run Alembic when imported.
NOT_IMPORTED = ("gatehouse.__main__", "gatehouse.store.migrations")


def every_module() -> list[str]:
    """Import each module of the package; return their names."""
    names = []
    for info in pkgutil.walk_packages(gatehouse.__path__, "gatehouse."):
        if info.name.startswith(NOT_IMPORTED):
            continue
        importlib.import_module(info.name)
        names.append(info.name)
    return names


@pytest.fixture(params=["sqlite", "postgres"])
def migrated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A new database of each kind, migrated to head and nothing else."""
    for backend in fresh_backend(request.param, tmp_path_factory):
        engine = make_engine(backend.url)
        try:
            assert inspect(engine).get_table_names() == []
            migrate.upgrade(engine)
            yield engine
        finally:
            engine.dispose()


def test_every_table_is_on_the_one_metadata_the_migrations_target() -> None:
    names = every_module()
    assert "gatehouse.store.tables" in names and "gatehouse.store.web_tables" in names
    for name in names:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, Table):
                assert value.metadata is metadata, f"{name}.{value.name} is on another metadata"
            if isinstance(value, MetaData):
                assert value is metadata, f"{name} declares a second MetaData"


def _for_this_dialect(dialect: str) -> Callable[..., bool]:
    """Leave out of the comparison an index declared for another dialect only (``ddl_if``)."""

    def include(obj: object, name: str | None, type_: str, reflected: bool, other: object) -> bool:
        declared = obj if not reflected else other
        condition = getattr(declared, "_ddl_if", None)
        return condition is None or condition.dialect in (None, dialect)

    return include


def test_the_migrations_match_all_the_metadata(migrated: Engine) -> None:
    every_module()
    assert migrate.current_revision(migrated) == migrate.head_revision()
    with migrated.connect() as connection:
        opts = {"compare_type": True, "include_object": _for_this_dialect(migrated.dialect.name)}
        context = MigrationContext.configure(connection, opts=opts)
        differences = compare_metadata(context, metadata)
        tables = set(inspect(connection).get_table_names())
    assert differences == []
    # Nothing compared vacuously: each declared table exists, and nothing else but Alembic's.
    assert tables == set(metadata.tables) | {"alembic_version"}
    assert len(metadata.tables) > 20


def test_an_sqlite_migration_that_would_leave_a_row_naming_nothing_changes_nothing(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    for backend in fresh_backend("sqlite", tmp_path_factory):
        engine = make_engine(backend.url)
        try:
            migrate.upgrade(engine)
            with engine.connect() as connection:
                # A row that names no order, slipped in with the checks off, as an old copy or
                # a hand edit could leave one.
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.exec_driver_sql(
                    "INSERT INTO order_events (subject_id, id, order_id, type, at)"
                    " VALUES ('sub_x', 'oev_x', 'ord_x', 'delivered', '2026-01-01 00:00:00')"
                )
                connection.commit()
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            with pytest.raises(migrate.BrokenForeignKeys, match="order_events"):
                migrate.run(engine, "downgrade", "0032")
            assert migrate.current_revision(engine) == migrate.head_revision()
            with engine.connect() as connection:
                # The connection the migration used went back with its checks on.
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
                assert "order_refs" in inspect(connection).get_table_names()
        finally:
            engine.dispose()
