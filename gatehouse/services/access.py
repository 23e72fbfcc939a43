"""API keys: issuing (shown once), authenticating by hash, revoking.

Each use case takes the running Gatehouse; an engine is still accepted, for callers from
before the unit of work, and gets a unit of work on SQL.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gatehouse.domain.errors import Unauthorized
from gatehouse.domain.ids import new_id
from gatehouse.services.key_cache import REVOKED, KnownKey
from gatehouse.services.ports import ApiKeys
from gatehouse.services.runtime import Gatehouse

__all__ = [
    "Audience",
    "Principal",
    "hash_key",
    "issue_key",
    "authenticate",
    "known_key",
    "remembered_key",
    "issue_operator_key",
    "replace_recipient_keys",
    "revoke_recipient_keys",
]


class Audience(StrEnum):
    """Who a key speaks for; each audience has its own router."""

    OPERATOR = "operator"
    RECIPIENT = "recipient"


_PREFIX = {Audience.OPERATOR: "gh_op_", Audience.RECIPIENT: "gh_rk_"}


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    key_id: str
    audience: Audience
    recipient_id: str | None = None


def hash_key(token: str) -> str:
    """SHA-256 of a key: keys are 256-bit random, so no slow hash is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_key(
    keys: ApiKeys,
    audience: Audience,
    at: datetime,
    *,
    recipient_id: str | None = None,
    label: str | None = None,
) -> str:
    """Create a key in the caller's unit of work and store only its hash; the caller shows
    the token once."""
    token = _PREFIX[audience] + secrets.token_urlsafe(32)
    keys.add(
        key_id=new_id("key"),
        audience=audience.value,
        recipient_id=recipient_id,
        key_hash=hash_key(token),
        prefix=token[:10],
        label=label,
        at=at,
    )
    return token


def issue_operator_key(gh: Gatehouse, at: datetime, label: str = "initial") -> str:
    """Create an operator key in its own transaction."""
    with gh.unit_of_work() as uow:
        return issue_key(uow.api_keys, Audience.OPERATOR, at, label=label)


def authenticate(gh: Gatehouse, token: str) -> Principal:
    """The principal behind a bearer token, or ``Unauthorized``."""
    return known_key(gh, token).principal


def _checked_hash(token: str) -> str:
    if not token or len(token) > 200:
        raise Unauthorized("a valid API key is required")
    return hash_key(token)


def known_key(gh: Gatehouse, token: str) -> KnownKey:
    """The live key behind a bearer token, or ``Unauthorized``: in one read-only transaction,
    the registry's generation, then the key unless this process remembers it under that one."""
    key_hash = _checked_hash(token)
    with gh.unit_of_work(read_only=True) as uow:
        generation = uow.generations.read().registry
        known = gh.facts.keys.get(key_hash)
        if known is None or known.generation != generation:
            known = gh.facts.keys.load(uow, key_hash, generation)
    if known is None:
        raise Unauthorized(REVOKED)
    return known


def remembered_key(gh: Gatehouse, token: str) -> KnownKey | None:
    """The key this process remembers for a token, read from memory only; the request's work
    must confirm it in its own transaction (:meth:`KeyCache.confirm`). None when unknown here."""
    return gh.facts.keys.get(_checked_hash(token))


def replace_recipient_keys(gh: Gatehouse, recipient_id: str, at: datetime) -> str:
    """Revoke every key of the recipient and issue one new key (shown once), atomically."""
    with gh.unit_of_work() as uow:
        uow.api_keys.revoke_for_recipient(recipient_id, at)
        return issue_key(uow.api_keys, Audience.RECIPIENT, at, recipient_id=recipient_id)


def revoke_recipient_keys(gh: Gatehouse, recipient_id: str, at: datetime) -> int:
    """Revoke every key of the recipient; returns how many were live."""
    with gh.unit_of_work() as uow:
        return uow.api_keys.revoke_for_recipient(recipient_id, at)
