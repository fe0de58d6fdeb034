"""Prometheus metrics: request latency per route, cache outcomes, pool usage.

Under several uvicorn workers each process counts on its own; with PROMETHEUS_MULTIPROC_DIR
set (`vedb serve --workers N` and the systemd unit set it), every process writes its values to
files there and a scrape sums them, whichever worker answers it.
"""

from __future__ import annotations

import os
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from psycopg_pool import AsyncConnectionPool

from vedb.analytics.cache import Status
from vedb.analytics.runner import Analytics

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
POOL_EVERY_S = 1.0  # pool gauges are sampled at most this often, off the hot path


class Metrics:
    """One registry per app, so several apps (tests, workers) never collide."""

    def __init__(self) -> None:
        self.multiprocess = bool(os.environ.get(MULTIPROCESS_DIR))
        # In multiprocess mode the values live in files; the registry is built per scrape.
        self.registry = CollectorRegistry()
        owner = None if self.multiprocess else self.registry
        self.latency = Histogram(
            "vedb_http_request_duration_seconds",
            "Request latency by route",
            ["method", "route", "status"],
            registry=owner,
            buckets=LATENCY_BUCKETS,
        )
        self.cache = Counter(
            "vedb_cache_lookups", "Cache lookups by outcome", ["outcome"], registry=owner
        )
        self.pool = Gauge(
            "vedb_pool_connections",
            "Pool connections",
            ["pool", "state"],
            registry=owner,
            multiprocess_mode="livesum",
        )
        self.pools: list[AsyncConnectionPool[Any]] = []
        self._pools_at = 0.0

    def watch(self, analytics: Analytics, *pools: AsyncConnectionPool[Any]) -> None:
        if analytics.cache is not None:
            analytics.cache.stats.listener = self._count
        self.pools = list(pools)
        self._sample_pools()

    def _count(self, status: Status) -> None:
        self.cache.labels(status.lower()).inc()

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.latency.labels(method, route, str(status)).observe(seconds)
        if time.monotonic() - self._pools_at > POOL_EVERY_S:
            self._sample_pools()

    def _sample_pools(self) -> None:
        self._pools_at = time.monotonic()
        for each in self.pools:
            numbers = each.get_stats()
            size, idle = numbers.get("pool_size", 0), numbers.get("pool_available", 0)
            self.pool.labels(each.name, "in_use").set(size - idle)
            self.pool.labels(each.name, "idle").set(idle)
            self.pool.labels(each.name, "waiting").set(numbers.get("requests_waiting", 0))

    def exposition(self) -> bytes:
        self._sample_pools()
        if not self.multiprocess:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # untyped upstream
        return generate_latest(registry)
