"""Abuse limits for recipients: per-key request rates and scraping detection."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import datetime

from gatehouse.domain.errors import GatehouseError
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.unit_of_work import UnitOfWork
from gatehouse.store.abuse import AbuseFlag

__all__ = ["AbuseFlag", "RateLimited", "RateLimiter", "check_scraping", "flags"]

_SCRAPING = "scraping"


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


def check_scraping(gh: Gatehouse, uow: UnitOfWork, recipient_id: str, now: datetime) -> bool:
    """Flag a recipient that reads many distinct views in a short window, in the caller's unit
    of work; True when flagged now.

    Reads come from the ledger, so every API process sees the same count.
    """
    since = now - gh.limits.scrape_window
    distinct = uow.ledger.distinct_transfers(
        kind="view.read", recipient_id=recipient_id, since=since
    )
    if distinct < gh.limits.scrape_threshold:
        return False
    if uow.abuse_flags.count_since(recipient_id, _SCRAPING, since):
        return False  # flagged once per window is enough
    detail = {
        "distinct_views": distinct,
        "window_seconds": int(gh.limits.scrape_window.total_seconds()),
    }
    uow.abuse_flags.add(recipient_id, _SCRAPING, detail, now)
    uow.ledger.append(
        kind="recipient.scraping_suspected",
        at=now,
        subject_id=None,
        recipient_id=recipient_id,
        payload=detail,
    )
    return True


def flags(gh: Gatehouse, recipient_id: str | None = None, limit: int = 100) -> list[AbuseFlag]:
    """Recent abuse flags, newest first."""
    with gh.unit_of_work(read_only=True) as uow:
        return uow.abuse_flags.recent(recipient_id, limit)
