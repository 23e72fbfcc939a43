"""Where the per-key token buckets live: this process, Redis, or the database.

One process can keep its buckets in memory. Several processes (``gatehouse serve --workers
N``, several hosts) must share them, or N processes allow N times the limit: set
GATEHOUSE_RATE_LIMIT_URL to a ``redis://`` URL, or to ``database`` to keep them in the
Gatehouse database. Every backend spends from a token bucket (``rate`` tokens a second, at
most ``burst``) atomically, so concurrent processes together get exactly the limit.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from gatehouse.domain.errors import GatehouseError

__all__ = [
    "DATABASE",
    "RateBackend",
    "RateStoreUnavailable",
    "InProcessBackend",
    "RedisBackend",
    "DatabaseBackend",
    "rate_backend_for",
]

DATABASE = "database"


class RateStoreUnavailable(Exception):
    """The shared store did not answer; the message names the error class only."""


class RateBackend(Protocol):
    """Spends one token from a bucket, or says how long until there is one."""

    def spend(self, bucket: str, now: float, rate: float, burst: int) -> float:
        """Spend a token at ``now`` (seconds since the epoch); 0.0 when spent, else the
        seconds until the next token. Raises :class:`RateStoreUnavailable`."""
        ...


def _wait(tokens: float, rate: float) -> float:
    return max(1e-9, (1.0 - tokens) / rate)


@dataclass
class _Bucket:
    tokens: float
    at: float


class InProcessBackend:
    """Buckets in this process's memory: the default, right for one process only."""

    def __init__(self) -> None:
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def spend(self, bucket: str, now: float, rate: float, burst: int) -> float:
        """See :meth:`RateBackend.spend`."""
        with self._lock:
            state = self._buckets.get(bucket) or _Bucket(float(burst), now)
            state.tokens = min(float(burst), state.tokens + max(0.0, now - state.at) * rate)
            state.at = max(state.at, now)
            self._buckets[bucket] = state
            if state.tokens < 1.0:
                return _wait(state.tokens, rate)
            state.tokens -= 1.0
            return 0.0


# Refill and spend in one script: Redis runs a script atomically, so no other client's
# request falls between the read and the write.
_SPEND = """
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local now, rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tokens, at = tonumber(state[1]), tonumber(state[2])
if tokens == nil or at == nil then tokens, at = burst, now end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
if now > at then at = now end
local allowed = 0
if tokens >= 1 then tokens, allowed = tokens - 1, 1 end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at',
           string.format('%.17g', at))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {allowed, string.format('%.17g', tokens)}
"""


class RedisBackend:
    """Buckets in Redis, one hash per bucket that expires once it would be full again."""

    def __init__(self, url: str, *, prefix: str = "gatehouse:rate:") -> None:
        import redis

        # Short timeouts: a stalled Redis must not stall the requests it limits.
        self._client = redis.Redis.from_url(
            url, socket_timeout=0.5, socket_connect_timeout=0.5, decode_responses=True
        )
        self._script = self._client.register_script(_SPEND)
        self._errors = (redis.RedisError, OSError)
        self.prefix = prefix

    def spend(self, bucket: str, now: float, rate: float, burst: int) -> float:
        """See :meth:`RateBackend.spend`."""
        full_after_ms = math.ceil(burst / rate * 1000) + 1000
        try:
            allowed, tokens = self._script(
                keys=[self.prefix + bucket], args=[repr(now), repr(rate), burst, full_after_ms]
            )
        except self._errors as exc:
            raise RateStoreUnavailable(type(exc).__name__) from None
        return 0.0 if int(allowed) else _wait(float(tokens), rate)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


class DatabaseBackend:
    """Buckets in the Gatehouse database: one upsert per request, on its own transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def spend(self, bucket: str, now: float, rate: float, burst: int) -> float:
        """See :meth:`RateBackend.spend`."""
        from gatehouse.store.rate_buckets import RateBucketRepository

        try:
            with self._engine.begin() as connection:
                spent, tokens = RateBucketRepository(connection).spend(bucket, now, rate, burst)
        except SQLAlchemyError as exc:
            raise RateStoreUnavailable(type(exc).__name__) from None
        return 0.0 if spent else _wait(tokens, rate)


def rate_backend_for(url: str, engine: Engine) -> RateBackend:
    """The backend GATEHOUSE_RATE_LIMIT_URL names: empty for this process, ``database`` for
    the Gatehouse database, or a ``redis://``, ``rediss://`` or ``unix://`` URL."""
    if not url:
        return InProcessBackend()
    if url == DATABASE:
        return DatabaseBackend(engine)
    if url.split(":", 1)[0] in ("redis", "rediss", "unix"):
        return RedisBackend(url)
    raise GatehouseError(
        "GATEHOUSE_RATE_LIMIT_URL must be empty, 'database', or a redis:// URL",
        code="invalid_rate_limit_url",
    )
