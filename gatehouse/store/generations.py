"""Fact generations: counters that every write of a cached fact bumps in its own transaction.

The transfer decision keeps the registry's facts (recipients, terms, suspended countries,
disclosures) and the recipients' open erasure deadlines in process memory, and every request
the live API keys; a key taken out of use moves the registry's counter. Each process reads
this one row at the start of a transfer; a counter that moved means another transaction, in
any process, committed a change, and the cache is dropped. The bump is written by the same
repository method that writes the fact, so no use case can change one and forget the other.
Migration 0017 must match this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count
from typing import Literal

from sqlalchemy import BigInteger, Column, Connection, Integer, Table, select, update

from gatehouse.store.schema import metadata

__all__ = [
    "ERASURES",
    "REGISTRY",
    "GenerationRepository",
    "Generations",
    "bump",
    "fact_generations",
    "read",
]

REGISTRY: Literal["registry"] = "registry"
ERASURES: Literal["erasures"] = "erasures"
_ROW = 1
# Without the row (a database not made by the migrations) nothing may be cached: each read
# then answers generations no other read answers.
_NEVER_AGAIN = count(-1, -1)

fact_generations = Table(
    "fact_generations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("registry", BigInteger, nullable=False),
    Column("erasures", BigInteger, nullable=False),
)

_READ = select(fact_generations.c.registry, fact_generations.c.erasures).where(
    fact_generations.c.id == _ROW
)
_BUMPS = {
    name: update(fact_generations)
    .where(fact_generations.c.id == _ROW)
    .values({name: fact_generations.c[name] + 1})
    for name in (REGISTRY, ERASURES)
}


@dataclass(frozen=True)
class Generations:
    """Where each family of cached facts stands."""

    registry: int
    erasures: int


def read(connection: Connection) -> Generations:
    """The current generations; without the row, ones that never repeat."""
    row = connection.execute(_READ).first()
    if row is None:
        never = next(_NEVER_AGAIN)
        return Generations(never, never)
    return Generations(row.registry, row.erasures)


def bump(connection: Connection, name: Literal["registry", "erasures"]) -> None:
    """Move one family's generation on, in the caller's transaction."""
    connection.execute(_BUMPS[name])


class GenerationRepository:
    """The generations, read on one connection."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def read(self) -> Generations:
        """The current generations (see :func:`read`)."""
        return read(self._c)
