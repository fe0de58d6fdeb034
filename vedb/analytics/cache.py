"""Redis get-or-set for query results, with stampede protection and a fail-open bypass.

Keys carry the query's name and version, its normalised parameters, and two generation
counters (the query's and the global one): bumping a counter invalidates without scanning.
When Redis is down or slow, calls compute from PostgreSQL; the failure is logged once, and
Redis is retried after a short pause, so caching resumes by itself when it comes back.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

Status = Literal["HIT", "MISS", "BYPASS"]
GLOBAL_GENERATION = "vedb:gen"
RETRY_AFTER_S = 2.0  # after a Redis failure, go straight to PostgreSQL for this long
LOCK_POLL_S = 0.01


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    bypasses: int = 0

    def count(self, status: Status) -> None:
        if status == "HIT":
            self.hits += 1
        elif status == "MISS":
            self.misses += 1
        else:
            self.bypasses += 1


def params_digest(params: dict[str, int | None]) -> str:
    normalised = json.dumps(params, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(normalised.encode()).hexdigest()[:16]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class QueryCache:
    """``get_or_compute(name, version, params, ttl, compute)`` -> (JSON text, status)."""

    def __init__(self, client: aioredis.Redis, lock_timeout_s: float = 30.0) -> None:
        self.client = client
        self.lock_timeout_s = lock_timeout_s
        self.stats = CacheStats()
        self._down_until = 0.0
        self._logged_down = False

    async def get_or_compute(
        self, name: str, version: int, params: dict[str, int | None], ttl: int,
        compute: Callable[[], Awaitable[str]],
    ) -> tuple[str, Status]:  # fmt: skip
        if time.monotonic() < self._down_until:
            return await self._bypass(compute)
        try:
            key = await self._key(name, version, params)
            cached = await self.client.get(key)
            if cached is not None:
                self._recovered()
                self.stats.count("HIT")
                return _text(cached), "HIT"
            value = await self._compute_once(key, ttl, compute)
        except RedisError as exc:
            self._went_down(exc)
            return await self._bypass(compute)
        self._recovered()
        self.stats.count("MISS")
        return value, "MISS"

    async def _compute_once(self, key: str, ttl: int, compute: Callable[[], Awaitable[str]]) -> str:
        """N concurrent misses on one key compute it once; the others wait for its value."""
        lock = f"{key}:lock"
        deadline = time.monotonic() + self.lock_timeout_s
        while True:
            if await self.client.set(lock, b"1", nx=True, px=int(self.lock_timeout_s * 1000)):
                try:
                    value = await compute()
                    await self.client.set(key, value.encode(), ex=ttl)
                    return value
                finally:
                    await self.client.delete(lock)
            await asyncio.sleep(LOCK_POLL_S)
            cached = await self.client.get(key)
            if cached is not None:
                return _text(cached)
            if time.monotonic() > deadline:  # the holder died: stop waiting and compute
                return await compute()

    async def _key(self, name: str, version: int, params: dict[str, int | None]) -> str:
        gen_all, gen_query = await self.client.mget(
            GLOBAL_GENERATION, f"{GLOBAL_GENERATION}:{name}"
        )
        generation = f"{int(gen_all or 0)}.{int(gen_query or 0)}"
        return f"vedb:q:{name}:v{version}:g{generation}:{params_digest(params)}"

    async def _bypass(self, compute: Callable[[], Awaitable[str]]) -> tuple[str, Status]:
        self.stats.count("BYPASS")
        return await compute(), "BYPASS"

    def _went_down(self, exc: Exception) -> None:
        self._down_until = time.monotonic() + RETRY_AFTER_S
        if not self._logged_down:
            log.warning("Redis unavailable, serving from PostgreSQL: %s", exc)
            self._logged_down = True

    def _recovered(self) -> None:
        if self._logged_down:
            log.warning("Redis is back; caching resumed")
            self._logged_down = False

    async def invalidate(self, name: str | None = None) -> None:
        """Makes every cached result of ``name`` (or of every query) a miss from now on."""
        key = GLOBAL_GENERATION if name is None else f"{GLOBAL_GENERATION}:{name}"
        try:
            await self.client.incr(key)
        except RedisError as exc:
            self._went_down(exc)
