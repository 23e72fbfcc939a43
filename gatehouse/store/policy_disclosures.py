"""What each privacy-policy version discloses under 「개인정보 보호법」 제28조의8제1항제3호.

A version in force that names an entrustee or storage provider abroad with every Art. 28-8(2)
item is the disclosure that basis rests on: one row per recipient, purpose and flow, with the
recipient's fingerprint and the disclosure wording's digest as the version published them, so
a transfer finds them by the recipient in one indexed read. Migration 0015 must match.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    insert,
)

from gatehouse.store.schema import metadata

__all__ = ["PolicyDisclosure", "add_policy_disclosures", "policy_disclosures"]

policy_disclosures = Table(
    "policy_disclosures",
    metadata,
    Column("recipient_id", String(40), nullable=False),
    Column("version", Integer, nullable=False),
    Column("purpose", String(40), nullable=False),
    Column("flow", String(20), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("content_digest", String(64), nullable=False),
    PrimaryKeyConstraint(
        "recipient_id", "version", "purpose", "flow", name="pk_policy_disclosures"
    ),
)


@dataclass(frozen=True)
class PolicyDisclosure:
    """One recipient, purpose and flow a version discloses, as it stood when published."""

    recipient_id: str
    purpose: str
    flow: str
    fingerprint: str
    content_digest: str


def add_policy_disclosures(
    connection: Connection, version: int, rows: Sequence[PolicyDisclosure]
) -> None:
    """Record what version ``version`` discloses."""
    if not rows:
        return
    connection.execute(
        insert(policy_disclosures),
        [
            {
                "recipient_id": r.recipient_id,
                "version": version,
                "purpose": r.purpose,
                "flow": r.flow,
                "fingerprint": r.fingerprint,
                "content_digest": r.content_digest,
            }
            for r in rows
        ],
    )
