"""Prometheus metrics: request latency per route, cache outcomes, pool usage."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from psycopg_pool import AsyncConnectionPool

from vedb.analytics.runner import Analytics

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class _State(Collector):
    def __init__(self) -> None:
        self.analytics: Analytics | None = None
        self.pools: list[AsyncConnectionPool[Any]] = []

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        if self.analytics is not None and self.analytics.cache is not None:
            stats = self.analytics.cache.stats
            outcomes = CounterMetricFamily(
                "vedb_cache_lookups", "Cache lookups by outcome", labels=["outcome"]
            )
            for outcome, value in (
                ("hit", stats.hits),
                ("miss", stats.misses),
                ("bypass", stats.bypasses),
            ):
                outcomes.add_metric([outcome], value)
            yield outcomes
        pool = GaugeMetricFamily(
            "vedb_pool_connections", "Pool connections", labels=["pool", "state"]
        )
        for each in self.pools:
            numbers = each.get_stats()
            size, idle = numbers.get("pool_size", 0), numbers.get("pool_available", 0)
            pool.add_metric([each.name, "in_use"], size - idle)
            pool.add_metric([each.name, "idle"], idle)
            pool.add_metric([each.name, "waiting"], numbers.get("requests_waiting", 0))
        yield pool


class Metrics:
    """One registry per app, so several apps (tests, workers) never collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "vedb_http_request_duration_seconds",
            "Request latency by route",
            ["method", "route", "status"],
            registry=self.registry,
            buckets=LATENCY_BUCKETS,
        )
        self.state = _State()
        self.registry.register(self.state)

    def watch(self, analytics: Analytics, *pools: AsyncConnectionPool[Any]) -> None:
        self.state.analytics = analytics
        self.state.pools = list(pools)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.latency.labels(method, route, str(status)).observe(seconds)
