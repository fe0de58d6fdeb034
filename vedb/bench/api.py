"""`vedb bench api`: cached analytics throughput against a bare Starlette route that returns
the same bytes, both on uvicorn with the same settings, driven by wrk in the same run."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from vedb.demo import api_server
from vedb.stack.servers import free_port
from vedb.wait import wait_healthy

BODY_FILE = "VEDB_BENCH_BODY_FILE"
PATH = "/api/analytics/leaderboard?limit=10"


class BenchError(RuntimeError):
    pass


def bare_app() -> Starlette:
    """One route returning the stored bytes: the ceiling for any handler on this server."""
    body = Path(os.environ[BODY_FILE]).read_bytes()

    async def leaderboard(request: Request) -> Response:
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/api/analytics/leaderboard", leaderboard)])


@dataclass(frozen=True)
class WrkResult:
    url: str
    requests_per_s: float
    latency: str


def wrk(url: str, token: str, connections: int, seconds: int) -> WrkResult:
    binary = shutil.which("wrk")
    if binary is None:
        raise BenchError("wrk is not installed: apt-get install wrk")
    done = subprocess.run(
        [
            binary,
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    rate = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    p99 = re.search(r"99%\s+(\S+)", done.stdout)
    if rate is None or "Non-2xx" in done.stdout:
        raise BenchError(f"wrk on {url} did not get clean answers:\n{done.stdout}")
    return WrkResult(url, float(rate.group(1)), p99.group(1) if p99 else "?")


@contextmanager
def bare_server(body: bytes, workers: int) -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "body.json"
        path.write_bytes(body)
        port = free_port()
        env = {**os.environ, BODY_FILE: str(path)}
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "vedb.bench.api:bare_app",
            "--factory",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        process = subprocess.Popen(command, env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            problem = wait_healthy(f"{base}{PATH}", 60, process=process)
            if problem is not None:
                raise BenchError(f"the bare server did not start: {problem}")
            yield base
        finally:
            process.terminate()
            process.wait(timeout=20)


def bench_api(
    database_url: str, redis_url: str, connections: int, seconds: int, console: Console
) -> Table:
    token = secrets.token_urlsafe(24)
    workers = 2
    with api_server(database_url, redis_url, token, console, workers=workers) as api:
        auth = {"Authorization": f"Bearer {token}"}
        httpx.get(f"{api}{PATH}", headers=auth)  # MISS: fills the cache
        cached = httpx.get(f"{api}{PATH}", headers=auth)
        if cached.headers.get("x-cache") != "HIT":
            raise BenchError(f"{PATH} was not served from the cache: {cached.headers}")
        with bare_server(cached.content, workers) as bare:
            results = [wrk(f"{base}{PATH}", token, connections, seconds) for base in (api, bare)]
    table = Table(
        title=f"Cached throughput: wrk, {connections} connections, {seconds} s, "
        f"uvicorn --workers {workers}"
    )
    for header in ("server", "requests/s", "p99 latency"):
        table.add_column(header, justify="left" if header == "server" else "right")
    for name, result in zip(
        ("vedb API, X-Cache: HIT", "bare Starlette, same bytes"), results, strict=True
    ):
        table.add_row(name, f"{result.requests_per_s:,.0f}", result.latency)
    table.add_row("API / bare", f"{results[0].requests_per_s / results[1].requests_per_s:.0%}", "")
    return table
