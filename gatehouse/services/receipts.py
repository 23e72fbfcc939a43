"""Deletion receipts for the customer who deleted the account: read back, handed over once.

Deleting the account ends the session, but the customer must still be able to read and
download the receipt. The browser that deleted the account gets a ticket instead: the
deletion id and an expiry, authenticated by the vault. The expiry and deletion id are the
associated data of a wrapped random key, so the master key vouches for both without any
secret of its own in the database, and a ticket altered in any byte fails to open.

The JSON copy of the receipt is handed over once: the ledger records the hand-over, and a
second download is refused.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from gatehouse.domain.subjects import Subject
from gatehouse.services.ports import Ledger
from gatehouse.services.runtime import Gatehouse
from gatehouse.vault import VaultError, WrappedKey, new_data_key, unwrap_key, wrap_key

__all__ = [
    "RECEIPT_EVENT",
    "RECEIPT_LIFETIME",
    "StoredReceipt",
    "ReceiptTicket",
    "stored_receipt",
    "receipt_delivered",
    "deliver_receipt",
    "issue_ticket",
    "open_ticket",
]

RECEIPT_EVENT = "subject.receipt_delivered"
"""Ledger kind that marks the JSON receipt as handed over: it is handed over once."""

RECEIPT_LIFETIME = timedelta(minutes=15)
"""How long the receipt stays reachable in the browser that deleted the account."""

_CONTEXT = "privacy-receipt"
# A ticket is about 150 characters; anything much longer is not ours and is not parsed.
_MAX_TICKET_CHARS = 400


@dataclass(frozen=True)
class StoredReceipt:
    """A deletion's receipt as stored, with the erased subject's tombstone.

    The tombstone holds no personal data: only the rule pack and the country of residence
    that the receipt page needs for its labels and time zone.
    """

    deletion_id: str
    subject: Subject
    document: dict[str, Any]
    delivered: bool


@dataclass(frozen=True)
class ReceiptTicket:
    """An authentic ticket: the deletion it names, and whether its time is up."""

    deletion_id: str
    expired: bool


def _deliveries(ledger: Ledger, subject_id: str, deletion_id: str) -> int:
    """How many hand-overs of this deletion's JSON receipt the ledger records."""
    entries = ledger.find(kind=RECEIPT_EVENT, subject_id=subject_id)
    return sum(1 for entry in entries if entry.payload.get("deletion_id") == deletion_id)


def receipt_delivered(gh: Gatehouse, subject_id: str, deletion_id: str) -> bool:
    """Whether the JSON receipt of this deletion was handed over already."""
    with gh.unit_of_work(read_only=True) as uow:
        return _deliveries(uow.ledger, subject_id, deletion_id) > 0


def stored_receipt(gh: Gatehouse, deletion_id: str) -> StoredReceipt | None:
    """The receipt of a deletion, or None when there is no such deletion."""
    with gh.unit_of_work(read_only=True) as uow:
        deletion = uow.erasures.deletion(deletion_id)
        subject = None if deletion is None else uow.subjects.get(deletion.subject_id)
        if deletion is None or subject is None:
            return None
        delivered = _deliveries(uow.ledger, subject.id, deletion_id) > 0
    return StoredReceipt(
        deletion_id=deletion_id,
        subject=subject,
        document=dict(deletion.receipt),
        delivered=delivered,
    )


class _AlreadyDelivered(Exception):
    """Raised inside the delivery transaction to roll it back."""


def deliver_receipt(gh: Gatehouse, subject_id: str, deletion_id: str) -> bool:
    """Record, once, that the JSON receipt was handed over; False when it was already."""
    try:
        with gh.unit_of_work() as uow:
            uow.ledger.append(
                kind=RECEIPT_EVENT,
                at=gh.clock(),
                subject_id=subject_id,
                recipient_id=None,
                payload={"deletion_id": deletion_id},
            )
            # Counted after our own entry, inside the transaction: of two racing downloads
            # the second sees the first (the shard head serialises them) and rolls back.
            if _deliveries(uow.ledger, subject_id, deletion_id) > 1:
                raise _AlreadyDelivered
    except _AlreadyDelivered:
        return False
    return True


def _ticket_context(deletion_id: str, expires: int) -> str:
    return f"{_CONTEXT}:{deletion_id}:{expires}"


def issue_ticket(gh: Gatehouse, deletion_id: str) -> str:
    """A ticket to this deletion's receipt, good for :data:`RECEIPT_LIFETIME` from now."""
    expires = int((gh.clock() + RECEIPT_LIFETIME).timestamp())
    wrapped = wrap_key(new_data_key(), _ticket_context(deletion_id, expires), gh.keyring)
    blob = base64.urlsafe_b64encode(bytes(wrapped.blob)).decode().rstrip("=")
    return f"{deletion_id}.{expires}.{wrapped.kek_id}.{blob}"


def open_ticket(gh: Gatehouse, value: str | None) -> ReceiptTicket | None:
    """The deletion an authentic ticket names; None for no ticket or one that fails to open.

    An expired ticket still opens (``expired`` set), so a page can say the receipt is gone
    rather than that the visitor is unknown.
    """
    if not value or len(value) > _MAX_TICKET_CHARS:
        return None
    parts = value.split(".")
    if len(parts) != 4 or not parts[1].isdigit():
        return None
    deletion_id, expires_text, kek_id, blob = parts
    try:
        raw = base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4))
        unwrap_key(
            WrappedKey(kek_id=kek_id, blob=raw),
            _ticket_context(deletion_id, int(expires_text)),
            gh.keyring,
        )
    except (VaultError, binascii.Error, ValueError):
        return None
    return ReceiptTicket(deletion_id, int(expires_text) <= gh.clock().timestamp())
