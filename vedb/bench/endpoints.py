"""`vedb bench endpoints`: every analytics endpoint through the API, uncached.

Before each timed call the Redis database is flushed and the API's near cache is off, so
every answer is computed by PostgreSQL and the figure is the whole request: HTTP, auth,
validation, the query, serialisation and the write back to Redis. One untimed call per
endpoint first, so PostgreSQL's buffers are in their steady state, as in `bench queries`.
"""

from __future__ import annotations

import secrets
import statistics
import time
from dataclasses import dataclass

import httpx
import psycopg
import redis
from rich.console import Console
from rich.table import Table

from vedb.api.analytics_routes import PREFIX
from vedb.bench.queries import cases
from vedb.demo import api_server

TIMEOUT_S = 60.0


class EndpointBenchError(RuntimeError):
    pass


@dataclass(frozen=True)
class EndpointTimes:
    label: str
    runs_ms: list[float]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.runs_ms)


def endpoint_cases(database_url: str) -> list[tuple[str, str, dict[str, object]]]:
    """(label, path, query string) per endpoint: each query's defaults, the busiest user or
    course where it needs one."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        found = cases(conn)
    return [
        (
            f"{name} ({', '.join(f'{k}={v}' for k, v in params.items())})" if params else name,
            f"{PREFIX}{name}",
            params,
        )
        for name, params in found
    ]


def time_endpoints(
    database_url: str, redis_url: str, runs: int, console: Console
) -> list[EndpointTimes]:
    token = secrets.token_urlsafe(24)
    flush = redis.Redis.from_url(redis_url)
    found = endpoint_cases(database_url)
    times = []
    with (
        api_server(
            database_url, redis_url, token, console, settings={"VEDB_NEAR_CACHE_S": "0"}
        ) as base,
        httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT_S
        ) as client,
    ):
        for label, path, params in found:
            console.print(f"  timing {label}")
            samples = []
            for run in range(runs + 1):
                flush.flushdb()
                started = time.perf_counter()
                answer = client.get(path, params={k: str(v) for k, v in params.items()})
                took_ms = (time.perf_counter() - started) * 1000
                if answer.status_code != httpx.codes.OK:
                    raise EndpointBenchError(f"{path}: HTTP {answer.status_code}: {answer.text}")
                if answer.headers.get("x-cache") != "MISS":
                    raise EndpointBenchError(
                        f"{path} was answered from a cache ({answer.headers.get('x-cache')})"
                    )
                if run:  # the first call only warms PostgreSQL
                    samples.append(took_ms)
            times.append(EndpointTimes(label, samples))
    flush.flushdb()  # no answer of the bench's is left for the next reader to trust
    return times


def endpoint_table(times: list[EndpointTimes], runs: int, described: str) -> Table:
    table = Table(title=f"Endpoints through the API, Redis flushed before each call: {described}")
    for header in ("endpoint", f"median of {runs} ms", "max ms"):
        table.add_column(header, justify="left" if header == "endpoint" else "right")
    for t in sorted(times, key=lambda t: t.median_ms, reverse=True):
        table.add_row(t.label, f"{t.median_ms:.1f}", f"{max(t.runs_ms):.1f}")
    return table


def slowest_line(times: list[EndpointTimes], runs: int) -> str:
    worst = max(times, key=lambda t: t.median_ms)
    return f"slowest endpoint, uncached, median of {runs}: {worst.median_ms:.1f} ms ({worst.label})"
