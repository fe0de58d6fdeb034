"""`vedb serve` as operators run it: a real uvicorn process, probed over HTTP.

schemathesis generates requests from the app's own OpenAPI spec (a bounded number per
endpoint) and checks that nothing answers 5xx or breaks the documented schema.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import seeded_database
from tests.sql.conftest import CATALOG
from vedb.stack import Stack
from vedb.stack.servers import free_port
from vedb.wait import wait_healthy

TOKEN = {"Authorization": "Bearer all-token"}
PARAMS = {"course_engagement_metrics": {"course_id": 1}, "lesson_dropoff": {"course_id": 1}}


def serve(
    database_url: str,
    redis_url: str,
    workers: int = 1,
    tokens: dict[str, list[str]] | None = None,
) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VEDB_")}
    env.update(
        VEDB_DATABASE_URL=database_url,
        VEDB_REDIS_URL=redis_url,
        VEDB_API_TOKENS=json.dumps(tokens or {"all-token": ["analytics", "ingest"]}),
    )
    vedb = str(Path(sys.executable).parent / "vedb")
    process = subprocess.Popen(
        [vedb, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        problem = wait_healthy(f"{base}/api/health", 30, process=process)
        if problem is not None:  # the wait can fail: say why, with the server's output
            process.terminate()
            output = process.stdout.read().decode() if process.stdout else ""
            pytest.fail(f"vedb serve did not become healthy ({problem}):\n{output}")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def served_demo(stack: Stack) -> Iterator[str]:
    # A demo database of its own: schemathesis really ingests, and must not touch others' data.
    for url in seeded_database(stack, "demo"):
        yield from serve(url, stack.redis.url)


def test_vedb_serve_answers_every_endpoint_on_demo_and_then_hits(served_demo: str) -> None:
    student = httpx.get(f"{served_demo}/api/analytics/leaderboard", headers=TOKEN).json()[0][
        "user_id"
    ]
    params = {**PARAMS, "student_behavior_pattern": {"user_id": student}}
    for name in CATALOG:
        url = f"{served_demo}/api/analytics/{name}"
        first = httpx.get(url, params=params.get(name, {}), headers=TOKEN)
        again = httpx.get(url, params=params.get(name, {}), headers=TOKEN)
        assert first.status_code == 200 and first.json(), name
        assert again.headers["x-cache"] == "HIT", name


def test_schemathesis_finds_no_5xx_and_no_schema_violation(
    served_demo: str, tmp_path: Path
) -> None:
    # The CLI, not the pytest plugin: the plugin does not run on this pytest version.
    schemathesis_bin = str(Path(sys.executable).parent / "schemathesis")
    result = subprocess.run(
        [
            schemathesis_bin,
            "run",
            f"{served_demo}/openapi.json",
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            "--max-examples",
            "8",
            "--seed",
            "1",
            "-H",
            f"Authorization: {TOKEN['Authorization']}",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        cwd=tmp_path,  # its example cache lands there, never in the checkout
    )
    assert result.returncode == 0, result.stdout[-6000:]


def test_metrics_sum_every_worker(demo_db: str, stack: Stack) -> None:
    """Under --workers 2 a scrape reaches one worker; it must report both workers' counts."""
    for base in serve(demo_db, stack.redis.url, workers=2):
        requests = 40
        for _ in range(requests):  # new connections: the kernel spreads them over both workers
            assert httpx.get(f"{base}/api/health").status_code == 200
        line = 'vedb_http_request_duration_seconds_count{method="GET",route="/api/health",status="200"}'
        scrapes = []
        for _ in range(2):
            text = httpx.get(f"{base}/metrics").text
            scrapes.append(
                next(float(x.split()[-1]) for x in text.splitlines() if x.startswith(line))
            )
        # The health waits before the loop count too: at least every request, the same twice.
        assert scrapes[0] == scrapes[1] >= requests
