"""Redis get-or-set for query results, with stampede protection and a fail-open bypass.

A key carries the query's name and version, its normalised parameters, and the generation
counters of everything the query declares it reads (``-- reads:``) plus a global one. A write
that rewrites a table bumps that table's counter (`vedb refresh`, `vedb seed`), so exactly
the queries reading it miss from then on, without scanning keys. Live ingest bumps nothing:
its answers stay valid for their TTL, and each one says when it was computed.

A hit is one round trip (a server-side script reads the counters and the value) and returns
the stored bytes as they are. Each process also keeps the answers it read for at most
``near_s`` (1 s by default, never past their TTL), so a hot answer costs no round trip at
all; an invalidation reaches the other processes within that second.

When Redis is down or slow, calls compute from PostgreSQL; the failure is logged once, and
Redis is retried after a short pause.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import redis.asyncio as aioredis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from vedb.analytics.catalog import Query

log = logging.getLogger(__name__)

Status = Literal["HIT", "MISS", "BYPASS"]
GENERATION = "vedb:gen"  # the global counter; a table's is vedb:gen:<schema.table>
RETRY_AFTER_S = 2.0  # after a Redis failure, go straight to PostgreSQL for this long
LOCK_POLL_S = 0.01
NEAR_ENTRIES = 10_000  # answers a process keeps at most

# KEYS: the generation counters; ARGV[1]: the key without its generations.
# Returns the full key and its value (nil on a miss), in one round trip.
LOOKUP = """
local parts = {}
for i, counter in ipairs(KEYS) do parts[i] = redis.call('GET', counter) or '0' end
local key = ARGV[1] .. ':g' .. table.concat(parts, '.')
return {key, redis.call('GET', key)}
"""
# Deletes the lock only if it still holds our token: a holder whose lock expired must not
# delete the lock another worker has taken since.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def redis_client(url: str, timeout_s: float) -> aioredis.Redis:
    """A client whose every call fails within ``timeout_s``: no retries, no backoff."""
    return aioredis.Redis.from_url(
        url,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        retry=Retry(NoBackoff(), retries=0),
        retry_on_timeout=False,
    )


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    bypasses: int = 0
    listener: Callable[[Status], None] | None = None  # e.g. the API's metrics

    def count(self, status: Status) -> None:
        if self.listener is not None:
            self.listener(status)
        if status == "HIT":
            self.hits += 1
        elif status == "MISS":
            self.misses += 1
        else:
            self.bypasses += 1


@dataclass(frozen=True)
class Cached:
    body: bytes  # the JSON rows, exactly as served
    computed_at: float  # epoch seconds
    status: Status


def params_digest(params: dict[str, int | None]) -> str:
    normalised = json.dumps(params, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(normalised.encode()).hexdigest()[:16]


def pack(body: bytes, computed_at: float) -> bytes:
    return f"{computed_at:.3f}\n".encode() + body


def unpack(stored: bytes) -> tuple[bytes, float]:
    stamp, _, body = stored.partition(b"\n")
    return body, float(stamp)


class QueryCache:
    """``get_or_compute(query, params, compute)`` -> :class:`Cached`."""

    def __init__(
        self, client: aioredis.Redis, lock_timeout_s: float = 30.0, near_s: float = 0.0
    ) -> None:
        self.client = client
        self.lock_timeout_s = lock_timeout_s
        self.near_s = near_s
        self._near: dict[str, tuple[float, Cached]] = {}  # key without generations -> until
        self.stats = CacheStats()
        self._lookup = client.register_script(LOOKUP)
        self._release = client.register_script(RELEASE)
        self._down_until = 0.0
        self._logged_down = False

    async def lookup(self, query: Query, params: dict[str, int | None]) -> Cached | None:
        """The stored answer, or None (a miss, or Redis unavailable): never computes."""
        near = self._near_hit(query, params)
        if near is not None:
            return near
        if time.monotonic() < self._down_until:
            return None
        try:
            _, stored = await self._find(query, params)
        except RedisError as exc:
            self._went_down(exc)
            return None
        if stored is None:
            return None
        self._recovered()
        self.stats.count("HIT")
        return self._keep(query, params, Cached(*unpack(stored), "HIT"))

    def _near_hit(self, query: Query, params: dict[str, int | None]) -> Cached | None:
        if not self.near_s:
            return None
        kept = self._near.get(_base(query, params))
        if kept is None or kept[0] < time.monotonic():
            return None
        self.stats.count("HIT")
        return kept[1]

    def _keep(self, query: Query, params: dict[str, int | None], answer: Cached) -> Cached:
        if self.near_s:
            if len(self._near) >= NEAR_ENTRIES:
                self._near.clear()  # a burst of distinct keys: start over rather than scan
            expires = answer.computed_at + query.cache_ttl - time.time()  # never past the TTL
            until = time.monotonic() + min(self.near_s, expires)
            self._near[_base(query, params)] = (
                until,
                Cached(answer.body, answer.computed_at, "HIT"),
            )
        return answer

    async def _find(self, query: Query, params: dict[str, int | None]) -> tuple[str, bytes | None]:
        counters = [GENERATION, *(f"{GENERATION}:{table}" for table in query.reads)]
        key, stored = await self._lookup(keys=counters, args=[_base(query, params)])
        return _text(key), stored

    async def get_or_compute(
        self, query: Query, params: dict[str, int | None], compute: Callable[[], Awaitable[bytes]]
    ) -> Cached:
        near = self._near_hit(query, params)
        if near is not None:
            return near
        if time.monotonic() < self._down_until:
            return await self._bypass(compute)
        try:
            key, stored = await self._find(query, params)
            if stored is not None:
                self._recovered()
                self.stats.count("HIT")
                return self._keep(query, params, Cached(*unpack(stored), "HIT"))
            body, computed_at = await self._compute_once(key, query.cache_ttl, compute)
        except RedisError as exc:
            self._went_down(exc)
            return await self._bypass(compute)
        self._recovered()
        self.stats.count("MISS")
        return self._keep(query, params, Cached(body, computed_at, "MISS"))

    async def _compute_once(
        self, key: str, ttl: int, compute: Callable[[], Awaitable[bytes]]
    ) -> tuple[bytes, float]:
        """N concurrent misses on one key compute it once; the others wait for its value."""
        lock, token = f"{key}:lock", secrets.token_hex(8)
        deadline = time.monotonic() + self.lock_timeout_s
        while True:
            if await self.client.set(lock, token, nx=True, px=int(self.lock_timeout_s * 1000)):
                try:
                    computed_at = time.time()
                    body = await compute()
                    await self.client.set(key, pack(body, computed_at), ex=ttl)
                    return body, computed_at
                finally:
                    await self._release(keys=[lock], args=[token])
            await asyncio.sleep(LOCK_POLL_S)
            stored = await self.client.get(key)
            if isinstance(stored, bytes):
                return unpack(stored)
            if time.monotonic() > deadline:  # the holder died: stop waiting and compute
                return await compute(), time.time()

    async def _bypass(self, compute: Callable[[], Awaitable[bytes]]) -> Cached:
        self.stats.count("BYPASS")
        computed_at = time.time()
        return Cached(await compute(), computed_at, "BYPASS")

    def _went_down(self, exc: Exception) -> None:
        self._down_until = time.monotonic() + RETRY_AFTER_S
        if not self._logged_down:
            log.warning("Redis unavailable, serving from PostgreSQL: %s", exc)
            self._logged_down = True

    def _recovered(self) -> None:
        if self._logged_down:
            log.warning("Redis is back; caching resumed")
            self._logged_down = False

    async def invalidate(self, tables: Iterable[str] | None = None) -> None:
        """Every cached answer that reads one of ``tables`` (or any answer) misses from now on."""
        self._near.clear()
        counters = [GENERATION] if tables is None else [f"{GENERATION}:{t}" for t in tables]
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for counter in counters:
                    pipe.incr(counter)
                await pipe.execute()
        except RedisError as exc:
            self._went_down(exc)


def _base(query: Query, params: dict[str, int | None]) -> str:
    """The key without its generations."""
    return f"vedb:q:{query.name}:v{query.version}:{params_digest(params)}"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
