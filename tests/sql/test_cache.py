"""The Redis cache on real Redis servers: hits, versions, stampedes, outages, invalidation."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import pytest
import pytest_asyncio
import redis.asyncio as aioredis
from psycopg_pool import AsyncConnectionPool

from tests.conftest import needs_local_redis
from tests.sql.conftest import CATALOG
from vedb.analytics.cache import QueryCache, params_digest
from vedb.analytics.cache import redis_client as cache_client
from vedb.analytics.runner import Analytics, connect_to
from vedb.stack import Stack
from vedb.stack.local import start_local_redis, stop_local


@pytest_asyncio.fixture
async def redis_client(stack: Stack) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(stack.redis.url, socket_timeout=0.5)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
def cached(fixture_db: str, redis_client: aioredis.Redis) -> Analytics:
    return Analytics(CATALOG, connect_to(fixture_db), QueryCache(redis_client))


async def test_a_hit_returns_identical_rows(
    cached: Analytics, redis_client: aioredis.Redis
) -> None:
    first = await cached.run("leaderboard", {"limit": 3})
    second = await cached.run("leaderboard", {"limit": "3"})  # same parameters, normalised
    assert (first.cache, second.cache) == ("MISS", "HIT")
    assert second.rows == first.rows and len(first.rows) == 3
    assert cached.executions == 1
    assert cached.cache is not None
    assert (cached.cache.stats.hits, cached.cache.stats.misses) == (1, 1)
    keys = [
        k async for k in redis_client.scan_iter("vedb:q:leaderboard:*") if not k.endswith(b":lock")
    ]
    assert len(keys) == 1 and 0 < await redis_client.ttl(keys[0]) <= 300  # the header's TTL


async def test_other_parameters_and_a_new_version_miss(
    cached: Analytics, fixture_db: str, redis_client: aioredis.Redis
) -> None:
    await cached.run("leaderboard", {"limit": 3})
    assert (await cached.run("leaderboard", {"limit": 2})).cache == "MISS"
    bumped = {**CATALOG, "leaderboard": replace(CATALOG["leaderboard"], version=2)}
    edited = Analytics(bumped, connect_to(fixture_db), QueryCache(redis_client))
    assert (await edited.run("leaderboard", {"limit": 3})).cache == "MISS"
    assert (await edited.run("leaderboard", {"limit": 3})).cache == "HIT"


async def test_fifty_concurrent_misses_run_the_sql_once(cached: Analytics) -> None:
    results = await asyncio.gather(
        *(cached.run("daily_active_users", {"days": 5}) for _ in range(50))
    )
    assert cached.executions == 1
    assert all(r.rows == results[0].rows for r in results)
    assert len(results[0].rows) == 5


async def test_invalidation_by_query_and_wholesale(cached: Analytics) -> None:
    assert cached.cache is not None
    await cached.run("leaderboard", {"limit": 3})
    await cached.run("top_courses")
    await cached.cache.invalidate(["learning.users"])  # what leaderboard reads, top_courses not
    assert (await cached.run("leaderboard", {"limit": 3})).cache == "MISS"
    assert (await cached.run("top_courses")).cache == "HIT"
    await cached.cache.invalidate()
    assert (await cached.run("top_courses")).cache == "MISS"


@needs_local_redis
async def test_with_redis_stopped_the_results_are_still_correct(fixture_db: str) -> None:
    server = start_local_redis()
    client = aioredis.Redis.from_url(server.url, socket_timeout=0.5, socket_connect_timeout=0.5)
    analytics = Analytics(CATALOG, connect_to(fixture_db), QueryCache(client))
    direct = Analytics(CATALOG, connect_to(fixture_db))
    try:
        assert (await analytics.run("leaderboard", {"limit": 3})).cache == "MISS"
        stop_local(server)
        results = [await analytics.run("leaderboard", {"limit": 3}) for _ in range(3)]
        expected = (await direct.run("leaderboard", {"limit": 3})).rows
        assert [r.cache for r in results] == ["BYPASS"] * 3
        assert all(r.rows == expected for r in results)
        assert analytics.cache is not None and analytics.cache.stats.bypasses == 3
    finally:
        stop_local(server)
        await client.aclose()


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never answers: a hung Redis."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


async def test_a_redis_that_never_answers_is_bypassed(fixture_db: str) -> None:
    with silent_server() as port:
        client = aioredis.Redis(
            host="127.0.0.1", port=port, socket_timeout=0.2, socket_connect_timeout=0.2
        )
        analytics = Analytics(CATALOG, connect_to(fixture_db), QueryCache(client))
        result = await asyncio.wait_for(analytics.run("leaderboard", {"limit": 3}), timeout=10)
        assert result.cache == "BYPASS" and [r.user_id for r in result.rows] == [1, 2, 3]  # type: ignore[attr-defined]
        await client.aclose()


async def test_runs_on_an_async_connection_pool(
    fixture_db: str, redis_client: aioredis.Redis
) -> None:
    async with AsyncConnectionPool(fixture_db, min_size=1, max_size=4, open=False) as pool:
        analytics = Analytics(CATALOG, pool.connection, QueryCache(redis_client))
        results = await asyncio.gather(
            *(analytics.run(name) for name in ("top_courses", "leaderboard"))
        )
    assert [len(r.rows) for r in results] == [3, 4]


async def test_a_lock_taken_over_after_expiry_is_not_deleted(
    fixture_db: str, redis_client: aioredis.Redis
) -> None:
    # The computation outlives its lock; meanwhile another worker takes the lock.
    cache = QueryCache(redis_client, lock_timeout_s=0.1)
    analytics = Analytics(CATALOG, connect_to(fixture_db), cache)
    query = CATALOG["leaderboard"]

    async def slow() -> bytes:
        await asyncio.sleep(0.3)
        locks = [k async for k in redis_client.scan_iter("vedb:q:leaderboard:*:lock")]
        assert locks == []  # expired
        await redis_client.set(key + b":lock", b"other-worker")
        return b"[]"

    key = b"vedb:q:leaderboard:v1:" + params_digest({"limit": 3}).encode() + b":g0.0"
    answer = await cache.get_or_compute(query, {"limit": 3}, slow)
    assert answer.status == "MISS"
    assert await redis_client.get(key + b":lock") == b"other-worker"
    assert analytics.executions == 0


async def test_the_near_cache_keeps_answers_a_second_and_never_past_their_ttl(
    fixture_db: str, redis_client: aioredis.Redis
) -> None:
    cache = QueryCache(redis_client, near_s=1.0)
    analytics = Analytics(CATALOG, connect_to(fixture_db), cache)
    await analytics.run("leaderboard", {"limit": 3})
    await redis_client.flushdb()  # gone from Redis: only the near cache still has it
    assert (await analytics.run("leaderboard", {"limit": 3})).cache == "HIT"
    await asyncio.sleep(1.1)
    assert (await analytics.run("leaderboard", {"limit": 3})).cache == "MISS"
    await cache.invalidate(["learning.users"])  # this process forgets at once
    assert (await analytics.run("leaderboard", {"limit": 3})).cache == "MISS"
    # An answer whose TTL ends sooner than the near cache's second is not kept past it.
    short = {**CATALOG, "leaderboard": replace(CATALOG["leaderboard"], cache_ttl=1)}
    old = Analytics(short, connect_to(fixture_db), QueryCache(redis_client, near_s=5.0))
    await old.run("leaderboard", {"limit": 2})
    await asyncio.sleep(1.1)
    assert (await old.run("leaderboard", {"limit": 2})).cache == "MISS"


@pytest.mark.parametrize("near_s", [0.0, 1.0])
async def test_every_redis_call_of_a_hung_redis_is_bounded_by_the_timeout(
    fixture_db: str, near_s: float
) -> None:
    # No retries: each call costs at most the socket timeout (the library default would retry).
    with silent_server() as port:
        client = cache_client(f"redis://127.0.0.1:{port}/0", 0.2)
        analytics = Analytics(CATALOG, connect_to(fixture_db), QueryCache(client, near_s=near_s))
        query = CATALOG["leaderboard"]
        started = time.monotonic()
        assert await analytics.cache.lookup(query, {"limit": 3}) is None  # type: ignore[union-attr]
        lookup_s = time.monotonic() - started
        analytics.cache._down_until = 0.0  # type: ignore[union-attr]  # try Redis again
        started = time.monotonic()
        result = await analytics.run("leaderboard", {"limit": 3})
        run_s = time.monotonic() - started
        await client.aclose()
    assert result.cache == "BYPASS"
    assert lookup_s < 0.2 * 2 and run_s < 0.2 * 2 + 1.0  # one timeout, plus the query itself
