"""`vedb bench endpoints` against the API serving `demo`: every endpoint, each call a miss."""

from __future__ import annotations

import io

import redis
from rich.console import Console

from vedb.analytics.catalog import load_catalog
from vedb.bench.endpoints import endpoint_table, slowest_line, time_endpoints
from vedb.settings import Settings
from vedb.stack import Stack


def test_the_endpoint_bench_times_every_endpoint_uncached(demo_db: str, stack: Stack) -> None:
    quiet = Console(file=io.StringIO())
    # time_endpoints itself checks each timed answer is HTTP 200 and X-Cache: MISS.
    times = time_endpoints(demo_db, stack.redis.url, 2, quiet)
    names = {t.label.split(" (")[0] for t in times}
    assert names == set(load_catalog(Settings().queries_dir))
    assert len(times) == len(names) + 1  # learning_funnel: all courses, and the busiest
    # Figures only: the bench prints them; no clock decides a test here.
    assert all(len(t.runs_ms) == 2 and min(t.runs_ms) > 0 for t in times)
    assert slowest_line(times, 2).startswith("slowest endpoint, uncached, median of 2: ")
    assert endpoint_table(times, 2, "demo").row_count == len(times)
    assert redis.Redis.from_url(stack.redis.url).dbsize() == 0
