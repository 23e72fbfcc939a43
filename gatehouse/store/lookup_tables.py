"""Lookup tables: a subject's row found by a key that is not the subject's id.

A table spread over the nodes by subject (docs/scaling.md) can only hold a key unique across
all of them when the key includes the subject id. Where a key without it must be unique, such
as a recipient's own order number or the marketplace's own customer id, a small table on one
node holds that key and says which subject's row it names. The use case writes both in one
transaction.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String, Table

from gatehouse.store.schema import metadata

__all__ = ["order_refs", "subject_refs"]

# A recipient's order numbers: each names one order, whichever customer placed it.
order_refs = Table(
    "order_refs",
    metadata,
    Column("recipient_id", String(40), ForeignKey("recipients.id"), primary_key=True),
    Column("external_ref", String(200), primary_key=True),
    Column("subject_id", String(40), nullable=False),
    Column("order_id", String(40), nullable=False),
)

# The marketplace's own customer ids, as blind indexes: each names one live subject. A deletion
# removes its row, so the tombstone cannot be found again by the customer's id.
subject_refs = Table(
    "subject_refs",
    metadata,
    Column("external_ref_digest", String(64), primary_key=True),
    Column("subject_id", String(40), nullable=False, index=True),
)
