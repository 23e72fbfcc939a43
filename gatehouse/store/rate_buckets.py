"""Token buckets for the per-key request rate, shared by every process through the database."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Connection,
    Double,
    String,
    Table,
    case,
    literal,
)
from sqlalchemy.dialects import postgresql, sqlite

from gatehouse.store.schema import metadata

__all__ = ["rate_buckets", "RateBucketRepository"]

# One row per bucket: ``bucket`` is a digest of the key's id, never the key; ``at`` is the
# time of the last refill in seconds since the epoch, ``allowed`` the last request's outcome.
rate_buckets = Table(
    "rate_buckets",
    metadata,
    Column("bucket", String(64), primary_key=True),
    Column("tokens", Double, nullable=False),
    Column("at", Double, nullable=False),
    Column("allowed", Boolean, nullable=False),
)


class RateBucketRepository:
    """Spends tokens from the shared buckets on one connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def spend(self, bucket: str, now: float, rate: float, burst: int) -> tuple[bool, float]:
        """Refill ``bucket`` up to ``now`` and spend one token if there is one, in one upsert;
        return whether it was spent and the tokens left.

        The upsert locks the row, so concurrent requests from any process are applied one
        after another and together never spend more than the bucket holds.
        """
        t = rate_buckets
        dialect = self._connection.dialect.name
        insert = (postgresql if dialect == "postgresql" else sqlite).insert
        now_p, rate_p, burst_p = literal(now, Double), literal(rate, Double), literal(burst, Double)
        elapsed = case((now_p > t.c.at, now_p - t.c.at), else_=literal(0.0, Double))
        grown = t.c.tokens + elapsed * rate_p
        refilled: ColumnElement[float] = case((grown > burst_p, burst_p), else_=grown)
        statement = insert(t).values(bucket=bucket, tokens=burst - 1.0, at=now, allowed=True)
        statement = statement.on_conflict_do_update(
            index_elements=[t.c.bucket],
            set_={
                "tokens": case((refilled >= 1.0, refilled - 1.0), else_=refilled),
                "at": case((now_p > t.c.at, now_p), else_=t.c.at),
                "allowed": refilled >= 1.0,
            },
        ).returning(t.c.allowed, t.c.tokens)
        row = self._connection.execute(statement).one()
        return bool(row.allowed), float(row.tokens)
