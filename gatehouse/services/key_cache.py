"""API keys known in process memory, by hash, never trusted past the registry's generation.

Every change that takes a key out of use bumps the registry's generation in its own
transaction (:meth:`gatehouse.store.api_keys.ApiKeyRepository.revoke_for_recipient`). A key
found live is remembered with the generation read in the same transaction; a request may
start on the remembered principal, but its work confirms it: the transaction that does the
work reads the generation anyway (:meth:`gatehouse.services.fact_cache.FactCache.facts`), and
a key remembered under another generation is looked up again there, before anything is
written. A key revoked in another process is so refused by the very next request here.

Only keys found live are remembered, so tokens that match nothing (an attacker's guesses)
take no memory, and the table is bounded all the same.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gatehouse.domain.errors import Unauthorized
from gatehouse.services.group_commit import running_tags

if TYPE_CHECKING:
    from gatehouse.services.access import Principal
    from gatehouse.services.unit_of_work import UnitOfWork

__all__ = ["KeyCache", "KnownKey", "REVOKED"]

REVOKED = "the API key is unknown or revoked"
# Far more keys than a deployment has live; past it the oldest are forgotten, not refused.
_MAX_KEYS = 4096


@dataclass(frozen=True)
class KnownKey:
    """A key found live, the principal it speaks for, and the generation it was found under."""

    key_hash: str
    principal: Principal
    generation: int


class KeyCache:
    """One process's live keys by hash; see the module's docstring for when each is trusted."""

    def __init__(self, max_keys: int = _MAX_KEYS) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, KnownKey] = {}
        self._max = max_keys

    def __len__(self) -> int:
        return len(self._keys)

    def get(self, key_hash: str) -> KnownKey | None:
        """The key remembered under ``key_hash``, to be confirmed by the request's work."""
        return self._keys.get(key_hash)

    def remember(self, known: KnownKey) -> None:
        """Keep a key found live (the oldest goes when the table is full)."""
        with self._lock:
            self._keys.pop(known.key_hash, None)
            if len(self._keys) >= self._max:
                del self._keys[next(iter(self._keys))]
            self._keys[known.key_hash] = known

    def forget(self, key_hash: str) -> None:
        """Drop a key found revoked or gone."""
        with self._lock:
            self._keys.pop(key_hash, None)

    def load(self, uow: UnitOfWork, key_hash: str, generation: int) -> KnownKey | None:
        """Look the key up in ``uow`` under ``generation``: remembered when live, else None."""
        from gatehouse.services.access import Audience, Principal

        record = uow.api_keys.find_by_hash(key_hash)
        if record is None or record.revoked_at is not None:
            self.forget(key_hash)
            return None
        principal = Principal(record.id, Audience(record.audience), record.recipient_id)
        known = KnownKey(key_hash, principal, generation)
        self.remember(known)
        return known

    @staticmethod
    def pending() -> bool:
        """Whether a member of the group running now came with a key to confirm."""
        return any(isinstance(tag, KnownKey) for tag in running_tags())

    def confirm(self, uow: UnitOfWork, generation: int) -> None:
        """Confirm, in the running group's transaction, every key its members came with.

        ``generation`` is the registry's, read in ``uow``. A key remembered under it stands; any
        other is looked up again in ``uow``. One that is no longer live raises ``Unauthorized``
        before the group writes anything, so the group is run again member by member and only
        that key's request is refused.
        """
        for tag in running_tags():
            if not isinstance(tag, KnownKey) or tag.generation == generation:
                continue
            current = self.get(tag.key_hash)
            if current is not None and current.generation == generation:
                continue  # another request of this group confirmed it already
            if self.load(uow, tag.key_hash, generation) is None:
                raise Unauthorized(REVOKED)
