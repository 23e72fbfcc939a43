"""The registry's facts in process memory, for the transfer decision, never stale.

A transfer reads the same few facts again and again: the recipient, the current terms, the
suspended countries, the disclosures naming the recipient, and the recipient's unacknowledged
erasure deadlines. They change rarely, and every change bumps a generation counter in the
same transaction (:mod:`gatehouse.store.generations`). A transfer reads that one row first;
the facts it then takes from here belong to that generation or were loaded in its own
transaction, so no decision rests on a fact older than the generation it read.

A snapshot belongs to one generation and is never retagged: a thread that loaded a fact under
an old generation writes it into the old snapshot, which nobody reads any more.

The API keys of the process live here too (:mod:`gatehouse.services.key_cache`): a key taken
out of use bumps the registry's generation, and the generations read for a transfer confirm
the keys its group came with, so an authenticated transfer reads nothing more for its key.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from gatehouse.domain.decision import DisclosureFact
from gatehouse.domain.recipients import Recipient
from gatehouse.domain.terms import Terms
from gatehouse.services.key_cache import KeyCache
from gatehouse.store.generations import Generations

if TYPE_CHECKING:
    from gatehouse.services.unit_of_work import UnitOfWork

__all__ = ["FactCache", "Facts"]

K = TypeVar("K")
V = TypeVar("V")
# A bound on what one snapshot holds, so a scan over many recipients cannot grow it forever.
_MAX_ENTRIES = 200_000


def _remember(table: dict[K, V], key: K, load: Callable[[], V]) -> V:
    try:
        return table[key]
    except KeyError:
        value = load()
        if len(table) < _MAX_ENTRIES:
            table[key] = value
        return value


@dataclass
class _Registry:
    generation: int
    terms: list[Terms | None] = field(default_factory=list)
    suspended: list[frozenset[str]] = field(default_factory=list)
    recipients: dict[str, Recipient | None] = field(default_factory=dict)
    disclosures: dict[str, tuple[DisclosureFact, ...]] = field(default_factory=dict)


@dataclass
class _Erasures:
    generation: int
    dues: dict[str, tuple[datetime, ...]] = field(default_factory=dict)


class Facts:
    """The facts of one transfer: from the snapshots of the generations it read, or loaded
    through its own unit of work when a snapshot lacks them."""

    def __init__(self, uow: UnitOfWork, registry: _Registry, erasures: _Erasures) -> None:
        self._uow, self._registry, self._erasures = uow, registry, erasures

    def recipient(self, recipient_id: str) -> Recipient | None:
        """The recipient, or None."""
        return _remember(
            self._registry.recipients, recipient_id, lambda: self._uow.recipients.get(recipient_id)
        )

    def terms(self) -> Terms | None:
        """The current terms, or None before any were published."""
        cached = self._registry.terms
        if not cached:
            cached.append(self._uow.terms.current())
        return cached[0]

    def suspended_countries(self) -> frozenset[str]:
        """The countries suspended now."""
        cached = self._registry.suspended
        if not cached:
            cached.append(frozenset(self._uow.recipients.suspended_countries()))
        return cached[0]

    def disclosures(self, recipient_id: str) -> list[DisclosureFact]:
        """Published disclosures naming the recipient, newest first."""
        found = _remember(
            self._registry.disclosures,
            recipient_id,
            lambda: tuple(self._uow.notices.disclosures_for(recipient_id)),
        )
        return list(found)

    def overdue_erasures(self, recipient_id: str, now: datetime) -> int:
        """The recipient's unacknowledged erasures due at or before ``now``."""
        dues = _remember(
            self._erasures.dues,
            recipient_id,
            lambda: tuple(self._uow.erasures.open_dues(recipient_id)),
        )
        return bisect_right(dues, now)


class FactCache:
    """One process's snapshots, one per family of facts, swapped when a generation moves."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._registry = _Registry(-1)
        self._erasures = _Erasures(-1)
        self.keys = KeyCache()

    def confirm_keys(self, uow: UnitOfWork) -> None:
        """Confirm the keys of the group running now in ``uow`` (see
        :meth:`KeyCache.confirm`); reads the generations only when a member came with a key."""
        if self.keys.pending():
            self.keys.confirm(uow, uow.generations.read().registry)

    def facts(self, uow: UnitOfWork) -> Facts:
        """The facts for a transfer in ``uow``: reads the generations, then the snapshots;
        the keys of the group running now are confirmed under the same generations."""
        current: Generations = uow.generations.read()
        self.keys.confirm(uow, current.registry)
        with self._lock:
            if self._registry.generation != current.registry:
                self._registry = _Registry(current.registry)
            if self._erasures.generation != current.erasures:
                self._erasures = _Erasures(current.erasures)
            registry, erasures = self._registry, self._erasures
        return Facts(uow, registry, erasures)
