"""The schema against its distribution plan (gatehouse/store/distribution.py, docs/scaling.md).

Every table is placed; every subject-owned table carries the subject id in its key; and, as
Citus requires of distributed tables, every primary key and unique constraint includes the
distribution column and every foreign key between distributed tables joins on it. A table
that does not fit is listed below with the change that would make it fit, as a strict xfail:
the day it is fixed its test passes, fails as an xfail, and the entry must go. Since migration
0035 none is listed.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from sqlalchemy import (
    ForeignKeyConstraint,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
)

import gatehouse.store
from gatehouse.store.distribution import (
    PLACEMENTS,
    Placement,
    distribution_column,
    tables_in,
)
from gatehouse.store.schema import metadata


def _all_tables() -> dict[str, Table]:
    # Tables are declared across the store's modules; importing each registers its own.
    for module in pkgutil.iter_modules(gatehouse.store.__path__):
        if module.name != "migrations":
            importlib.import_module(f"gatehouse.store.{module.name}")
    return dict(metadata.tables)


TABLES = _all_tables()
DISTRIBUTED = {Placement.SUBJECT, Placement.LEDGER}

# Subject-owned tables with no subject id at all.
NO_SUBJECT_ID: dict[str, str] = {}

# Distributed tables whose primary key or a unique constraint leaves the distribution out.
KEY_GAPS: dict[str, str] = {}

# Foreign keys that Citus cannot keep: into a distributed table from a local one, or between
# distributed tables not on the distribution column.
FOREIGN_KEY_GAPS: dict[str, str] = {}


def _cases(tables: list[str], gaps: dict[str, str]) -> list[object]:
    return [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=gaps[name]))
        if name in gaps
        else name
        for name in tables
    ]


def _key_column(name: str) -> str:
    column = distribution_column(name)
    assert column is not None, f"{name} is not distributed"
    return column


def test_every_table_is_placed_and_every_placed_table_exists() -> None:
    assert sorted(set(TABLES) - set(PLACEMENTS)) == [], "place the new table in distribution.py"
    assert sorted(set(PLACEMENTS) - set(TABLES)) == [], "a placed table no longer exists"


def test_the_plan_places_the_tables_the_hot_path_touches() -> None:
    subject_owned = set(tables_in(Placement.SUBJECT))
    assert {"subjects", "pii_fields", "consents", "orders", "transfers", "views"} <= subject_owned
    assert {"ledger_entries", "ledger_shards"} <= set(tables_in(Placement.LEDGER))
    assert {"recipients", "country_suspensions", "terms_versions", "notices"} <= set(
        tables_in(Placement.REFERENCE)
    )
    assert distribution_column("subjects") == "id"
    assert distribution_column("transfers") == "subject_id"
    assert distribution_column("ledger_entries") == "shard"
    assert distribution_column("recipients") is None


@pytest.mark.parametrize("name", _cases(tables_in(Placement.SUBJECT), NO_SUBJECT_ID))
def test_a_subject_owned_table_leads_a_key_with_the_subject_id(name: str) -> None:
    table, column = TABLES[name], _key_column(name)
    assert column in table.c, f"{name} has no {column}"
    leading = {tuple(c.name for c in index.columns)[:1] for index in table.indexes}
    leading |= {
        tuple(c.name for c in constraint.columns)[:1]
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    }
    in_primary_key = column in {c.name for c in table.primary_key.columns}
    assert in_primary_key or (column,) in leading


@pytest.mark.parametrize(
    "name", _cases(sorted(n for n in PLACEMENTS if PLACEMENTS[n] in DISTRIBUTED), KEY_GAPS)
)
def test_every_unique_key_of_a_distributed_table_includes_its_column(name: str) -> None:
    table, column = TABLES[name], _key_column(name)
    keys = [
        [c.name for c in constraint.columns]
        for constraint in table.constraints
        if isinstance(constraint, PrimaryKeyConstraint | UniqueConstraint)
    ]
    keys += [[c.name for c in index.columns] for index in table.indexes if index.unique]
    assert [key for key in keys if column not in key] == []


@pytest.mark.parametrize("name", _cases(sorted(TABLES), FOREIGN_KEY_GAPS))
def test_foreign_keys_fit_the_placements(name: str) -> None:
    bad = []
    for constraint in TABLES[name].constraints:
        if not isinstance(constraint, ForeignKeyConstraint):
            continue
        target = constraint.referred_table.name
        here, there = PLACEMENTS[name], PLACEMENTS[target]
        if there not in DISTRIBUTED:
            continue  # to a reference or local table: allowed from anywhere
        pairs = {(e.parent.name, e.column.name) for e in constraint.elements}
        same_rows = (
            (_key_column(name), _key_column(target)) in pairs if here in DISTRIBUTED else False
        )
        if here is not there or not same_rows:
            bad.append(f"{sorted(pairs)} -> {target}")
    assert bad == []
