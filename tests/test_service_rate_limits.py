"""The per-key rate limit on each backend, and shared by real processes on Redis and SQL.

Two spawned processes spend from one key's bucket at once; together they must get exactly
the burst, not twice it. The Redis tests use the server at 127.0.0.1:6379 under a prefix of
their own, removed afterwards; when GATEHOUSE_REQUIRE_POSTGRES=1 (as in CI) a missing
Redis fails them instead of skipping.
"""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Barrier

import pytest

from gatehouse.services.abuse import RateLimited, RateLimiter
from gatehouse.services.rate_backends import (
    DatabaseBackend,
    InProcessBackend,
    RateBackend,
    RedisBackend,
    rate_backend_for,
)
from gatehouse.store.db import make_engine
from tests.conftest import Fresh, postgres_required

REDIS_URL = "redis://127.0.0.1:6379/0"
BURST = 30
# Slow enough that no token comes back while the test runs.
SLOW = 0.001


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own on the local Redis, deleted afterwards."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        message = f"Redis at {REDIS_URL} is unreachable: {type(exc).__name__}"
        if postgres_required():
            pytest.fail(message)
        pytest.skip(message)
    prefix = f"gatehouse-test:{uuid.uuid4().hex}:"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()


def _backend(kind: str, target: str, prefix: str) -> RateBackend:
    if kind == "redis":
        return RedisBackend(target, prefix=prefix)
    return DatabaseBackend(make_engine(target))


def _spender(
    kind: str, target: str, prefix: str, attempts: int, start: Barrier, results: object
) -> None:
    """One process's requests: wait for the other, then spend as fast as it can."""
    limiter = RateLimiter(_backend(kind, target, prefix))
    start.wait(timeout=60)
    allowed = 0
    for _ in range(attempts):
        try:
            limiter.spend("key_shared", datetime.now(UTC), SLOW, BURST)
            allowed += 1
        except RateLimited:
            pass
    results.put(allowed)  # type: ignore[attr-defined]


def _two_processes(kind: str, target: str, prefix: str = "") -> list[int]:
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(2)
    results = ctx.Queue()
    processes = [
        ctx.Process(target=_spender, args=(kind, target, prefix, BURST, start, results))
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    try:
        counts = [results.get(timeout=120) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=60)
    assert all(process.exitcode == 0 for process in processes)
    return counts


def test_two_processes_share_one_limit_in_redis(redis_prefix: str) -> None:
    counts = _two_processes("redis", REDIS_URL, redis_prefix)
    assert sum(counts) == BURST, counts


def test_two_processes_share_one_limit_in_the_database(fresh: Fresh) -> None:
    counts = _two_processes("database", fresh.backend.url)
    assert sum(counts) == BURST, counts


def _spends_then_refills(backend: RateBackend) -> None:
    limiter = RateLimiter(backend)
    now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    for _ in range(3):
        limiter.spend("key_a", now, 2.0, 3)
    with pytest.raises(RateLimited) as limited:
        limiter.spend("key_a", now, 2.0, 3)
    assert limited.value.retry_after == 1
    limiter.spend("key_b", now, 2.0, 3)  # each key has its own bucket
    limiter.spend("key_a", now + timedelta(seconds=0.5), 2.0, 3)
    with pytest.raises(RateLimited):
        limiter.spend("key_a", now + timedelta(seconds=0.5), 2.0, 3)
    # A full bucket holds the burst, however long the key was idle.
    later = now + timedelta(hours=1)
    for _ in range(3):
        limiter.spend("key_a", later, 2.0, 3)
    with pytest.raises(RateLimited):
        limiter.spend("key_a", later, 2.0, 3)


def test_the_in_process_bucket() -> None:
    _spends_then_refills(InProcessBackend())


def test_the_redis_bucket(redis_prefix: str) -> None:
    backend = RedisBackend(REDIS_URL, prefix=redis_prefix)
    _spends_then_refills(backend)
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = [key.decode() for key in client.scan_iter(match=f"{redis_prefix}*")]
    client.close()
    backend.close()
    # Keyed by a digest of the key's id, never the id, and each bucket expires.
    assert len(keys) == 2 and not any("key_a" in key or "key_b" in key for key in keys)


def test_the_database_bucket(fresh: Fresh) -> None:
    _spends_then_refills(DatabaseBackend(fresh.gatehouse.engine))


def test_an_unreachable_redis_falls_back_to_this_process() -> None:
    limiter = RateLimiter(RedisBackend("redis://127.0.0.1:9/0"))
    now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    limiter.spend("key_a", now, 1.0, 1)
    with pytest.raises(RateLimited):
        limiter.spend("key_a", now, 1.0, 1)


def test_the_setting_chooses_the_backend(fresh: Fresh) -> None:
    engine = fresh.gatehouse.engine
    assert isinstance(rate_backend_for("", engine), InProcessBackend)
    assert isinstance(rate_backend_for("database", engine), DatabaseBackend)
    assert isinstance(rate_backend_for(REDIS_URL, engine), RedisBackend)
    with pytest.raises(Exception, match="GATEHOUSE_RATE_LIMIT_URL"):
        rate_backend_for("memcached://127.0.0.1", engine)
    fresh.gatehouse.rate_limit_url = "database"
    assert isinstance(RateLimiter.for_gatehouse(fresh.gatehouse).backend, DatabaseBackend)
