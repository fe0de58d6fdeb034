"""`vedb serve` and `vedb demo`: the API, and the main job around it."""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Annotated

import typer
import uvicorn

from vedb.api.metrics import MULTIPROCESS_DIR
from vedb.cli.app import (
    app,
    database_url,
    err,
    fail,
    load_settings,
)
from vedb.stack import StackError, detached


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def demo(
    ctx: typer.Context,
    profile: Annotated[str, typer.Option(help="Seed profile: demo, load, scale or huge.")] = "demo",
    seconds: Annotated[
        int | None,
        typer.Option(min=5, help="Length of the headless locust run (60 s; scale 120 s)."),
    ] = None,
    users: Annotated[
        int | None,
        typer.Option(min=1, help="Concurrent locust users (demo 10, load 20, scale 50)."),
    ] = None,
    ui: Annotated[
        bool, typer.Option(help="Open locust's web UI and keep the stack running.")
    ] = False,
) -> None:
    """The main job: stack, migrations, seed, API, locust; exit 0 only if every target is met.

    Options after `--` go to locust, e.g. `vedb demo -- --p95-ms 200`."""
    from vedb.demo import SECONDS, USERS, run_demo  # noqa: PLC0415 -- ops extra (numpy, locust)
    from vedb.seed.load import SeedRefused  # noqa: PLC0415

    try:
        length = seconds or SECONDS.get(profile, 60)
        code = run_demo(profile, length, users or USERS.get(profile, 10), ui, list(ctx.args), err)
    except (StackError, SeedRefused, ValueError) as exc:
        raise fail(str(exc)) from exc
    raise typer.Exit(code)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="uvicorn worker processes.")] = 1,
    access_log: Annotated[
        bool, typer.Option(help="Log every request (latency per route is in /metrics).")
    ] = False,
) -> None:
    """Serve the analytics API on uvicorn (VEDB_DATABASE_URL, or the running stack)."""
    settings = load_settings()
    # Workers build their own app from the environment: hand them the resolved URLs.
    os.environ["VEDB_DATABASE_URL"] = database_url(settings)
    if not settings.redis_url and (stack := detached.running_stack(settings)) is not None:
        os.environ["VEDB_REDIS_URL"] = stack.redis.url
    own_metrics_dir = None
    if workers > 1 and not os.environ.get(MULTIPROCESS_DIR):
        # Each worker writes its metrics there, so a scrape sums them all.
        own_metrics_dir = tempfile.mkdtemp(prefix="vedb-metrics-")
        os.environ[MULTIPROCESS_DIR] = own_metrics_dir
    try:
        uvicorn.run(
            "vedb.api.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            access_log=access_log,
        )
    finally:
        if own_metrics_dir is not None:
            shutil.rmtree(own_metrics_dir, ignore_errors=True)
