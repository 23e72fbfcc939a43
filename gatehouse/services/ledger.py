"""The ledger as a use case: append inside a caller's transaction, sign, verify and prove.

A use case written against a unit of work appends through ``uow.ledger``; older ones call
:func:`append` on their own connection. Either way an entry commits or rolls back with the
decision it records. Everything else opens its own transaction. Appending, signing,
verifying and proving live in the ``ledger_*`` modules beside this one and are re-exported
here, so callers keep one name for the ledger; this module itself reads entries back.
"""

from __future__ import annotations

import re

from gatehouse.domain.errors import InvalidInput
from gatehouse.ledger import LedgerEntry
from gatehouse.services.ledger_append import LEDGER_SHARDS, append
from gatehouse.services.ledger_checkpoints import (
    LEDGER_SIGNING_SECRET,
    checkpoint_if_due,
    latest_checkpoint,
    make_checkpoint,
    public_key,
)
from gatehouse.services.ledger_proofs import (
    InclusionProof,
    entry_proof,
    inclusion_proofs,
)
from gatehouse.services.ledger_verify import Progress, verify
from gatehouse.services.paging import split_page
from gatehouse.services.runtime import Gatehouse

__all__ = [
    "InclusionProof",
    "entry_proof",
    "inclusion_proofs",
    "checkpoint_if_due",
    "LEDGER_SHARDS",
    "LEDGER_SIGNING_SECRET",
    "Progress",
    "append",
    "public_key",
    "make_checkpoint",
    "latest_checkpoint",
    "verify",
    "entries",
]

_CURSOR = re.compile(r"([0-9]{1,9})-([0-9]{1,18})")


def _parse_cursor(cursor: str) -> tuple[int, int]:
    # ASCII digits only: str.isdecimal() and int() also accept other scripts' digits.
    match = _CURSOR.fullmatch(cursor)
    if match is None:
        raise InvalidInput("cursor is not one this endpoint returned", code="invalid_cursor")
    return int(match[1]), int(match[2])


def entries(
    gh: Gatehouse,
    *,
    kind: str | None = None,
    subject_id: str | None = None,
    recipient_id: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> tuple[list[LedgerEntry], str | None]:
    """A page of entries matching every filter given, in (shard, seq) order.

    ``after`` is the cursor a previous page returned; the second value is the next page's
    cursor, or None at the end.
    """
    position = None if after is None else _parse_cursor(after)
    with gh.unit_of_work(read_only=True) as uow:
        page = uow.ledger.find(
            kind=kind,
            subject_id=subject_id,
            recipient_id=recipient_id,
            after=position,
            limit=limit + 1,
        )
    return split_page(page, limit, lambda entry: f"{entry.shard}-{entry.seq}")
