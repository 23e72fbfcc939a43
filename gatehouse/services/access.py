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
from gatehouse.services.ports import ApiKeys
from gatehouse.services.runtime import Gatehouse

__all__ = [
    "Audience",
    "Principal",
    "hash_key",
    "issue_key",
    "authenticate",
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
    if not token or len(token) > 200:
        raise Unauthorized("a valid API key is required")
    with gh.unit_of_work(read_only=True) as uow:
        record = uow.api_keys.find_by_hash(hash_key(token))
    if record is None or record.revoked_at is not None:
        raise Unauthorized("the API key is unknown or revoked")
    return Principal(record.id, Audience(record.audience), record.recipient_id)


def replace_recipient_keys(gh: Gatehouse, recipient_id: str, at: datetime) -> str:
    """Revoke every key of the recipient and issue one new key (shown once), atomically."""
    with gh.unit_of_work() as uow:
        uow.api_keys.revoke_for_recipient(recipient_id, at)
        return issue_key(uow.api_keys, Audience.RECIPIENT, at, recipient_id=recipient_id)


def revoke_recipient_keys(gh: Gatehouse, recipient_id: str, at: datetime) -> int:
    """Revoke every key of the recipient; returns how many were live."""
    with gh.unit_of_work() as uow:
        return uow.api_keys.revoke_for_recipient(recipient_id, at)
