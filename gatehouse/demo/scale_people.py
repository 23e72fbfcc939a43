"""The scale run's customers: Korean subjects sealed into the vault, and their consents.

Each subject is sealed as the subjects use case seals one: a fresh data key wrapped by the
master key, every PII field encrypted under it with the same associated data, and blind
indexes of the e-mail, phone and external reference under the operator's index key, so the
privacy center and operator lookups read them as they read any customer. Each customer
answers the checkout notices of the few sellers it buys from; most consent, some refuse.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from gatehouse.demo.korea import KoreanCustomers
from gatehouse.demo.scale_bulk import BulkRows, ShardBook
from gatehouse.demo.scale_parts import WHOLE, Part
from gatehouse.demo.scale_world import FLOW, PURPOSE, WorldRecipient
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.subjects import SUBJECT_SCOPE
from gatehouse.store.tables import (
    blind_indexes,
    consents,
    pii_fields,
    subject_keys,
    subject_refs,
    subjects,
)
from gatehouse.vault import FieldCipher, WrappedKey, new_data_key, unwrap_key, wrap_key

if TYPE_CHECKING:
    from gatehouse.demo.scale import Scale

__all__ = [
    "Customer",
    "SUBJECT_CHUNK",
    "created_at",
    "customer_id",
    "favourites",
    "reload_customers",
    "stable_id",
    "write_customers",
]

SUBJECT_CHUNK = 5000
_CONSENT_COLUMNS = (
    "seq", "id", "subject_id", "notice_hash", "purpose", "granted", "channel", "at",
)  # fmt: skip


@dataclass(frozen=True)
class Customer:
    """A generated subject: its id, data key, creation time and the sellers it buys from,
    each with whether it consented to that seller's notice. Another part's customer has an
    empty data key: this process never writes its rows."""

    index: int
    id: str
    data_key: bytes
    created_at: datetime
    sellers: tuple[tuple[int, bool], ...]


def stable_id(prefix: str, seed: int, *parts: object) -> str:
    # The format of ``new_id``, derived from the seed so a rerun makes the same ids.
    name = "/".join(str(part) for part in (seed, prefix, *parts))
    return f"{prefix}_{hashlib.blake2b(name.encode(), digest_size=16).hexdigest()}"


def customer_id(seed: int, index: int) -> str:
    """The id of the ``index``-th customer."""
    return stable_id("sub", seed, index)


def favourites(seed: int, index: int, sellers: int) -> tuple[tuple[int, bool], ...]:
    """The sellers (positions among the active sellers) the ``index``-th customer buys from,
    each with whether it consented: most buy from one to three, a few from up to eight."""
    rnd = random.Random(seed * 31 + index)
    count = min(sellers, 1 + min(7, int(rnd.expovariate(0.8))))
    # Popular sellers are chosen more often: a few shops sell to many customers.
    chosen = {int(sellers * rnd.random() ** 1.6) for _ in range(count)}
    return tuple((seller, rnd.random() < 0.95) for seller in sorted(chosen))


def created_at(index: int, total: int, start: datetime, span: timedelta) -> datetime:
    """When the ``index``-th customer signed up: evenly over ``span`` from ``start``."""
    return start + span * (index / max(total, 1)) + timedelta(seconds=1)


def write_customers(
    gh: Gatehouse,
    rows: BulkRows,
    book: ShardBook,
    chunk: int,
    scale: Scale,
    sellers: Sequence[WorldRecipient],
    start: datetime,
    span: timedelta,
    part: Part = WHOLE,
) -> list[Customer]:
    """Queue the rows of the ``chunk``-th chunk of customers that ``part`` owns, and their
    consents; return every customer of the chunk."""
    seed, total, size = scale.seed, scale.subjects, scale.subject_chunk
    people = KoreanCustomers(seed)
    pack = gh.packs.for_country("KR")
    indexer = gh.indexer
    made = []
    for index in range(chunk * size, min(total, (chunk + 1) * size)):
        subject_id = customer_id(seed, index)
        at = created_at(index, total, start, span)
        chosen = favourites(seed, index, len(sellers))
        if not part.owns(subject_id):
            made.append(Customer(index, subject_id, b"", at, chosen))
            continue
        # Each customer from its own seed: a part draws only the customers it writes.
        people.reseed(seed * 1009 + index)
        pii = people.one(index)
        data_key = new_data_key()
        cipher = FieldCipher(subject_id, data_key)
        locale = "ko-KR" if random.Random(seed * 17 + index).random() < 0.95 else "en-US"
        rows.add(
            subjects,
            ("id", "residence_country", "locale", "rule_pack", "created_at"),
            (subject_id, "KR", locale, pack.id, at),
        )
        rows.add(
            subject_refs,
            ("external_ref_digest", "subject_id"),
            (indexer.digest("external_ref", pii.external_ref), subject_id),
        )
        wrapped = wrap_key(data_key, subject_id, gh.keyring)
        rows.add(
            subject_keys,
            ("subject_id", "kek_id", "wrapped_key", "created_at"),
            (subject_id, wrapped.kek_id, wrapped.blob, at),
        )
        for name, value in pii.as_fields().items():
            rows.add(
                pii_fields,
                ("subject_id", "scope", "field", "ciphertext"),
                (subject_id, SUBJECT_SCOPE, name, cipher.encrypt(SUBJECT_SCOPE, name, value)),
            )
        for kind, value in (("email", pii.email.casefold()), ("phone", pii.phone)):
            rows.add(
                blind_indexes,
                ("subject_id", "kind", "digest"),
                (subject_id, kind, indexer.digest(kind, value)),
            )
        for number, (position, granted) in enumerate(chosen):
            seller = sellers[position]
            _consent(rows, book, seed, subject_id, seller, granted, at, number)
        made.append(Customer(index, subject_id, data_key, at, chosen))
    return made


def _consent(
    rows: BulkRows,
    book: ShardBook,
    seed: int,
    subject_id: str,
    seller: WorldRecipient,
    granted: bool,
    signed_up: datetime,
    number: int,
) -> None:
    """The customer's answer to the seller's notice, as the consents use case records it."""
    consent_id = stable_id("con", seed, subject_id, seller.id)
    at = signed_up + timedelta(minutes=5 + number)
    assert seller.notice_hash is not None
    rows.add(
        consents,
        _CONSENT_COLUMNS,
        # The customer's answers in the order they are given, numbered from 1.
        (number + 1, consent_id, subject_id, seller.notice_hash, PURPOSE, granted, "web", at),
    )
    book.append(
        rows,
        "consent.granted" if granted else "consent.refused",
        at,
        subject_id,
        None,
        {
            "consent_id": consent_id,
            "notice_hash": seller.notice_hash,
            "purpose": PURPOSE,
            "flow": FLOW,
            "required": True,
            "channel": "web",
            "recipients": [seller.id],
        },
    )


def reload_customers(
    gh: Gatehouse,
    c: Connection,
    scale: Scale,
    sellers: int,
    done: int,
    start: datetime,
    span: timedelta,
    part: Part,
) -> list[Customer]:
    """The first ``done`` customers, written by an earlier run: the part's own with their
    data keys unwrapped again."""
    if not done:
        return []
    wrapped = {
        row.subject_id: WrappedKey(row.kek_id, bytes(row.wrapped_key))
        for row in c.execute(
            select(subject_keys.c.subject_id, subject_keys.c.kek_id, subject_keys.c.wrapped_key)
        )
    }
    made = []
    for index in range(done):
        subject_id = customer_id(scale.seed, index)
        key = b""
        if part.owns(subject_id):
            key = unwrap_key(wrapped[subject_id], subject_id, gh.keyring)
        made.append(
            Customer(
                index,
                subject_id,
                key,
                created_at(index, scale.subjects, start, span),
                favourites(scale.seed, index, sellers),
            )
        )
    return made
