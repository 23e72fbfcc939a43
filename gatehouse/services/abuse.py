"""Abuse limits for recipients: per-key request rates and scraping detection."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, insert, select

from gatehouse.domain.errors import GatehouseError
from gatehouse.ledger import format_at
from gatehouse.services import ledger
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.ledger_tables import ledger_entries
from gatehouse.store.tables import abuse_flags

__all__ = ["RateLimited", "RateLimiter", "check_scraping", "flags"]


class RateLimited(GatehouseError):
    """Too many requests for this key (maps to 429 with Retry-After)."""

    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many requests; retry after {retry_after} s", details={"retry_after": retry_after}
        )
        self.retry_after = retry_after


@dataclass
class _Bucket:
    tokens: float
    at: datetime


class RateLimiter:
    """A token bucket per API key, in this process, driven by the Gatehouse clock."""

    def __init__(self) -> None:
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def check(self, gh: Gatehouse, key_id: str) -> None:
        """Spend one token, or raise ``RateLimited`` saying when the next one comes."""
        now = gh.clock()
        rate, burst = gh.limits.requests_per_second, gh.limits.burst
        with self._lock:
            bucket = self._buckets.get(key_id) or _Bucket(float(burst), now)
            elapsed = max(0.0, (now - bucket.at).total_seconds())
            bucket.tokens = min(float(burst), bucket.tokens + elapsed * rate)
            bucket.at = now
            self._buckets[key_id] = bucket
            if bucket.tokens < 1.0:
                raise RateLimited(max(1, math.ceil((1.0 - bucket.tokens) / rate)))
            bucket.tokens -= 1.0


def check_scraping(gh: Gatehouse, connection: Connection, recipient_id: str, now: datetime) -> bool:
    """Flag a recipient that reads many distinct views in a short window; True when flagged now.

    Reads come from the ledger, so every API process sees the same count.
    """
    since = format_at(now - gh.limits.scrape_window)
    distinct = connection.execute(
        select(
            func.count(func.distinct(ledger_entries.c.payload["transfer_id"].as_string()))
        ).where(
            ledger_entries.c.recipient_id == recipient_id,
            ledger_entries.c.kind == "view.read",
            ledger_entries.c.at >= since,
        )
    ).scalar_one()
    if distinct < gh.limits.scrape_threshold:
        return False
    recent = connection.execute(
        select(func.count())
        .select_from(abuse_flags)
        .where(
            abuse_flags.c.recipient_id == recipient_id,
            abuse_flags.c.kind == "scraping",
            abuse_flags.c.at >= now - gh.limits.scrape_window,
        )
    ).scalar_one()
    if recent:
        return False  # flagged once per window is enough
    detail = {
        "distinct_views": int(distinct),
        "window_seconds": int(gh.limits.scrape_window.total_seconds()),
    }
    connection.execute(
        insert(abuse_flags).values(
            recipient_id=recipient_id, kind="scraping", detail=detail, at=now
        )
    )
    ledger.append(
        connection,
        kind="recipient.scraping_suspected",
        at=now,
        subject_id=None,
        recipient_id=recipient_id,
        payload=detail,
    )
    return True


def flags(
    gh: Gatehouse, recipient_id: str | None = None, limit: int = 100
) -> list[dict[str, object]]:
    """Recent abuse flags, newest first."""
    query = select(abuse_flags).order_by(abuse_flags.c.id.desc()).limit(limit)
    if recipient_id:
        query = query.where(abuse_flags.c.recipient_id == recipient_id)
    with gh.engine.connect() as connection:
        return [
            {"recipient_id": r.recipient_id, "kind": r.kind, "detail": r.detail, "at": r.at}
            for r in connection.execute(query)
        ]
