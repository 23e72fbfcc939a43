"""The ports as a contract: the SQL unit of work and the in-memory one offer the same ones.

Every repository a unit of work offers must have each method its port lists, taking the
same parameters (an implementation may add optional ones after them). A fake that drifts
from its port would let a use case pass its tests and fail on SQL, or the reverse.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable

import pytest

from gatehouse.services import unit_of_work
from gatehouse.services.sql_unit_of_work import SqlUnitOfWork
from gatehouse.services.unit_of_work import UnitOfWork
from tests.support.fakes import FakeUnitOfWork


def _ports() -> dict[str, type]:
    ports = {}
    for name, member in vars(UnitOfWork).items():
        if isinstance(member, property) and member.fget is not None:
            hints = typing.get_type_hints(member.fget, vars(unit_of_work))
            ports[name] = hints["return"]
    return ports


PORTS = _ports()


def _methods(port: type) -> dict[str, Callable[..., object]]:
    return {k: v for k, v in vars(port).items() if callable(v) and not k.startswith("_")}


def _parameters(function: Callable[..., object]) -> list[inspect.Parameter]:
    return list(inspect.signature(function).parameters.values())


def test_the_unit_of_work_offers_its_ports() -> None:
    assert {"subjects", "transfers", "ledger", "outbox", "api_keys"} <= set(PORTS)


@pytest.mark.parametrize("implementation", [SqlUnitOfWork, FakeUnitOfWork])
@pytest.mark.parametrize("name", sorted(PORTS))
def test_each_repository_keeps_to_its_port(implementation: type, name: str) -> None:
    offered = getattr(implementation, name, None)
    assert isinstance(offered, property), f"{implementation.__name__} has no {name}"
    repository = typing.get_type_hints(offered.fget)["return"]
    for method, wanted in _methods(PORTS[name]).items():
        found = getattr(repository, method, None)
        assert found is not None, f"{repository.__name__} lacks {method}"
        want, got = _parameters(wanted), _parameters(found)
        names = [(p.name, p.kind) for p in got[: len(want)]]
        assert names == [(p.name, p.kind) for p in want], f"{repository.__name__}.{method}"
        extra = got[len(want) :]
        assert all(p.default is not p.empty for p in extra), f"{repository.__name__}.{method}"
