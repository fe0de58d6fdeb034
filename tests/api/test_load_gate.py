"""A short headless locust run against a real `vedb serve`: the gate passes, or fails on cue."""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from tests.conftest import seeded_database
from vedb.demo import api_server, locust_command
from vedb.settings import REPO_ROOT
from vedb.stack import Stack

TOKEN = secrets.token_urlsafe(16)


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[str]:
    for url in seeded_database(stack, "demo"):
        with api_server(url, stack.redis.url, TOKEN, Console(quiet=True)) as base:
            yield base


def run_locust(base: str, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = locust_command(
        base, TOKEN, headless=True, users=3, seconds=6, results=tmp_path / "run", extra=list(extra)
    )
    return subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, check=False, timeout=120
    )


def test_the_gate_passes_when_targets_are_met(api: str, tmp_path: Path) -> None:
    # Every user starts with this call: cached now, so the short run surely sees a HIT.
    httpx.get(
        f"{api}/api/analytics/leaderboard",
        params={"limit": 100},
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).raise_for_status()
    # Generous limits: this checks the gate's wiring, not this machine's speed.
    result = run_locust(
        api, tmp_path, "--p95-ms", "5000", "--cached-p95-ms", "5000", "--min-hit-rate", "0"
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "ALL TARGETS MET" in result.stdout
    assert "Latency per endpoint" in result.stdout and "hit rate" in result.stdout
    assert (tmp_path / "run_stats.csv").exists() and (tmp_path / "run.html").exists()


def test_the_gate_fails_on_an_impossible_target(api: str, tmp_path: Path) -> None:
    result = run_locust(
        api, tmp_path, "--p95-ms", "0", "--cached-p95-ms", "5000", "--min-hit-rate", "0.05"
    )
    assert result.returncode == 1
    assert "TARGETS MISSED" in result.stdout and "FAIL" in result.stdout
