"""Abuse limits for recipients: per-key request rates and scraping detection."""

from __future__ import annotations

import hashlib
import logging
import math
from datetime import datetime

from gatehouse.domain.errors import GatehouseError
from gatehouse.services.rate_backends import (
    InProcessBackend,
    RateBackend,
    RateStoreUnavailable,
    rate_backend_for,
)
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.unit_of_work import UnitOfWork
from gatehouse.store.abuse import AbuseFlag

__all__ = ["AbuseFlag", "RateLimited", "RateLimiter", "check_scraping", "flags"]

_SCRAPING = "scraping"
_log = logging.getLogger(__name__)


class RateLimited(GatehouseError):
    """Too many requests for this key (maps to 429 with Retry-After)."""

    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many requests; retry after {retry_after} s", details={"retry_after": retry_after}
        )
        self.retry_after = retry_after


class RateLimiter:
    """A token bucket per API key, driven by the Gatehouse clock, kept by a backend.

    The backend sees a digest of the key's id, never the id itself. When a shared backend
    does not answer, this process's own buckets stand in, so an outage of Redis degrades the
    limit to one per process instead of refusing or failing every request.
    """

    def __init__(self, backend: RateBackend | None = None) -> None:
        self.backend: RateBackend = backend or InProcessBackend()
        self._fallback = InProcessBackend()

    @classmethod
    def for_gatehouse(cls, gh: Gatehouse) -> RateLimiter:
        """The limiter GATEHOUSE_RATE_LIMIT_URL asks for (see services/rate_backends.py)."""
        return cls(rate_backend_for(gh.rate_limit_url, gh.engine))

    def check(self, gh: Gatehouse, key_id: str) -> None:
        """Spend one token, or raise ``RateLimited`` saying when the next one comes."""
        self.spend(key_id, gh.clock(), gh.limits.requests_per_second, gh.limits.burst)

    def spend(self, key_id: str, now: datetime, rate: float, burst: int) -> None:
        """:meth:`check` with the time and the limits given."""
        bucket = hashlib.sha256(f"gatehouse-rate:{key_id}".encode()).hexdigest()[:40]
        at = now.timestamp()
        try:
            wait = self.backend.spend(bucket, at, rate, burst)
        except RateStoreUnavailable as exc:
            _log.warning("rate limit store unavailable (%s); limiting per process", exc)
            wait = self._fallback.spend(bucket, at, rate, burst)
        if wait > 0:
            raise RateLimited(max(1, math.ceil(wait)))


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
