"""`vedb demo`: the main job. Stack, migrations, seed, API, a bounded locust run, summary."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from vedb import migrations
from vedb.access import ANALYTICS, INGEST
from vedb.seed.command import seed_database
from vedb.settings import REPO_ROOT, Settings
from vedb.stack import StackError, detached
from vedb.stack.servers import free_port
from vedb.wait import wait_healthy

LOCUSTFILE = REPO_ROOT / "locustfiles" / "analytics.py"
# Users and gate per profile. On `scale` the gate is the production target (DESIGN.md): every
# endpoint's p95 under 100 ms with ingest running, cached answers under 5 ms, 90 % hits.
USERS = {"demo": 10, "load": 20, "scale": 50}
# Long enough that a dashboard endpoint's p95 is not simply its first, cold call.
SECONDS = {"scale": 120}
GATES = {"scale": ["--p95-ms", "100", "--cached-p95-ms", "5", "--min-hit-rate", "0.9"]}
BIN = Path(sys.executable).parent


@contextmanager
def api_server(
    database_url: str,
    redis_url: str,
    token: str,
    console: Console,
    workers: int = 2,
    settings: dict[str, str] | None = None,
) -> Iterator[str]:
    """`vedb serve` in the background until the block ends; yields its base URL.
    ``settings`` are more VEDB_* variables for it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VEDB_")}
    env.update(
        VEDB_DATABASE_URL=database_url,
        VEDB_REDIS_URL=redis_url,
        VEDB_API_TOKENS=json.dumps({token: [ANALYTICS, INGEST]}),
        **(settings or {}),
    )
    log = Path(REPO_ROOT / "results" / "api.log")
    log.parent.mkdir(exist_ok=True)
    with log.open("w") as out:
        command = [str(BIN / "vedb"), "serve", "--port", str(port), "--workers", str(workers)]
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        problem = wait_healthy(f"{base}/api/health", 60, process=process)
        if problem is not None:
            raise StackError(f"the API did not become healthy within 60 s ({problem}); see {log}")
        console.print(f"API up at {base} (log: {log})")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def locust_command(  # noqa: PLR0913 -- locust's own knobs, passed through
    base: str,
    token: str,
    *,
    headless: bool,
    users: int,
    seconds: int,
    results: Path,
    extra: list[str],
) -> list[str]:
    # `--token=...` as one argument: a random token may start with "-" (argparse then reads it
    # as an option; seen once in CI).
    command = [str(BIN / "locust"), "-f", str(LOCUSTFILE), "--host", base, f"--token={token}"]
    if headless:
        # Ramp up over about 5 s, as real traffic does, not in one instant.
        rate = max(1.0, users / 5)
        command += ["--headless", "-u", str(users), "-r", str(rate), "-t", f"{seconds}s"]
        command += ["--csv", str(results), "--html", f"{results}.html", "--only-summary"]
    return command + extra


def run_demo(
    profile: str, seconds: int, users: int, ui: bool, extra: list[str], console: Console
) -> int:
    # The local stack only, never a VEDB_DATABASE_URL the user exported.
    settings = Settings(database_url=None, redis_url=None)
    stack, _ = detached.up(settings)
    keep_stack = ui
    try:
        url = detached.app_database_url(stack)
        console.print(f"Stack: {stack.postgres.describe()}", highlight=False)
        migrations.apply_all(url)
        # The stack is a throwaway: replacing what an earlier demo ingested is the point.
        seed_database(url, profile, 1, datetime.now(UTC).date(), force=True, console=console)
        token = secrets.token_urlsafe(24)
        results = REPO_ROOT / "results" / profile
        with api_server(url, stack.redis.url, token, console) as base:
            gate = GATES.get(profile, [])
            command = locust_command(
                base,
                token,
                headless=not ui,
                users=users,
                seconds=seconds,
                results=results,
                extra=gate + extra,
            )
            if ui:
                console.print(
                    "locust web UI: http://127.0.0.1:8089 (Ctrl-C stops; the stack stays up)"
                )
            return subprocess.run(command, cwd=REPO_ROOT, check=False).returncode
    finally:
        if not keep_stack:
            detached.down(settings)
            console.print("Stack stopped.")
