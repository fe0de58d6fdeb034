"""The `vedb` command line."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import psycopg
import psycopg2
import typer
import uvicorn
from pydantic import ValidationError
from pydantic_settings import SettingsError
from rich.console import Console
from rich.table import Table

from vedb import __version__, migrations
from vedb.analytics.cache import QueryCache
from vedb.analytics.cache import redis_client as cache_client
from vedb.analytics.catalog import CatalogError, load_catalog
from vedb.analytics.params import ParamError
from vedb.analytics.rows import ROW_MODELS
from vedb.analytics.runner import Analytics, Result, UnknownQuery, connect_to
from vedb.databases import redact
from vedb.pgconf import render_postgresql_conf
from vedb.provision.secrets import SecretsError, load_secrets, write_new_secrets
from vedb.settings import Settings
from vedb.stack import StackError, detached
from vedb.stack.binaries import postgres_bin_dir, redis_server_binary
from vedb.stack.stack import docker_answers
from vedb.tuning import DISKS, PROFILES

app = typer.Typer(help="V-EdFinance database stack.", no_args_is_help=True)
stack_app = typer.Typer(help="A throwaway local PostgreSQL and Redis.", no_args_is_help=True)
app.add_typer(stack_app, name="stack")
bench_app = typer.Typer(help="Benchmarks that print figures.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
secrets_app = typer.Typer(help="Deploy secrets (never in git).", no_args_is_help=True)
app.add_typer(secrets_app, name="secrets")

SHAPES = {"VEDB_API_TOKENS": """'{"TOKEN": ["read", "analytics", "ingest"]}'"""}
out = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    # soft_wrap: a long path or URL stays on one line, so it can be copied whole.
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def load_settings() -> Settings:
    """The settings, or one line naming the bad variable and the shape it needs."""
    try:
        return Settings()
    except SettingsError as exc:  # a structured value that is not JSON
        field = re.search(r'field "([a-z_]+)"', str(exc))
        name = f"VEDB_{field.group(1).upper()}" if field else "a VEDB_ variable"
        raise fail(f"{name} is not valid JSON: expected e.g. {SHAPES.get(name, '...')}") from None
    except ValidationError as exc:
        error = exc.errors()[0]
        name = f"VEDB_{str(error['loc'][0]).upper()}" if error["loc"] else "VEDB_*"
        raise fail(f"{name}: {error['msg']} (got {error.get('input')!r})") from None


def database_url(settings: Settings) -> str:
    """VEDB_DATABASE_URL, else the database of the stack `vedb stack up` started."""
    if settings.database_url:
        return settings.database_url
    stack = detached.running_stack(settings)
    if stack is not None:
        return detached.app_database_url(stack)
    raise fail("no database: set VEDB_DATABASE_URL, or run `vedb stack up` first")


@app.command()
def version() -> None:
    """Print the package version."""
    out.print(__version__)


@stack_app.command("up")
def stack_up() -> None:
    """Start PostgreSQL and Redis (Docker if an engine answers, else local binaries)."""
    settings = load_settings()
    try:
        stack, started = detached.up(settings)
    except StackError as exc:
        raise fail(str(exc)) from exc
    out.print("Stack started." if started else "Stack already running.")
    out.print(f"PostgreSQL  {stack.postgres.describe()}", highlight=False)
    out.print(f"Redis       {stack.redis.describe()}", highlight=False)
    out.print('For other shells: eval "$(vedb stack env)"; stop with: vedb stack down')


@stack_app.command("env")
def stack_env() -> None:
    """Print `export` lines for the running stack, for `eval "$(vedb stack env)"`."""
    stack = detached.running_stack(load_settings())
    if stack is None:
        raise fail("no stack is running: start one with `vedb stack up`")
    print(f"export VEDB_DATABASE_URL='{detached.app_database_url(stack)}'")
    print(f"export VEDB_REDIS_URL='{stack.redis.url}'")


@stack_app.command("status")
def stack_status() -> None:
    """Say whether a stack is running, and where."""
    stack = detached.running_stack(load_settings())
    if stack is None:
        out.print("No stack running.")
        raise typer.Exit(3)
    out.print(f"PostgreSQL  {stack.postgres.describe()}", highlight=False)
    out.print(f"Redis       {stack.redis.describe()}", highlight=False)


@stack_app.command("down")
def stack_down() -> None:
    """Stop the stack and delete everything it left in temp dirs."""
    try:
        stack = detached.down(load_settings())
    except StackError as exc:
        raise fail(str(exc)) from exc
    out.print("Stack stopped; its temp dirs are gone." if stack else "No stack was running.")


@stack_app.command("doctor")
def stack_doctor(
    install: Annotated[
        bool, typer.Option(help="As root, apt-get install the server binaries that are missing.")
    ] = False,
) -> None:
    """Check that PostgreSQL and Redis can be started here; optionally install them."""
    settings = load_settings()
    missing = _missing_servers(settings)
    if missing and install and os.geteuid() == 0 and shutil.which("apt-get"):
        _apt_install(missing)
        missing = _missing_servers(settings)
    for package in missing:
        err.print(f"[red]missing[/] {package}: install it (`apt-get install {package}`), "
                  "start a Docker engine, or set VEDB_TEST_*_URL")  # fmt: skip
    if missing:
        raise typer.Exit(1)
    out.print("PostgreSQL and Redis can be started here.")


def _missing_servers(settings: Settings) -> list[str]:
    if settings.stack_backend != "local" and docker_answers():
        return []
    missing = []
    if not settings.test_database_url and postgres_bin_dir() is None:
        missing.append("postgresql")
    if not settings.test_redis_url and redis_server_binary() is None:
        missing.append("redis-server")
    return missing


def _apt_install(packages: list[str]) -> None:
    err.print(f"Installing {' '.join(packages)} with apt-get ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    # Only the binaries are wanted: keep the packages from starting system-wide servers.
    policy = "/usr/sbin/policy-rc.d"
    had_policy = os.path.exists(policy)
    if not had_policy:
        with open(policy, "w") as fh:
            fh.write("#!/bin/sh\nexit 101\n")
        os.chmod(policy, 0o755)  # noqa: S103 -- invoke-rc.d runs it, so it must be executable
    try:
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
            check=True,
            env=env,
        )
    finally:
        if not had_policy:
            os.remove(policy)


@app.command()
def seed(
    profile: Annotated[str, typer.Option(help="demo, load or scale.")] = "demo",
    seed_value: Annotated[
        int, typer.Option("--seed", help="Random seed: same seed, same rows.")
    ] = 1,
    anchor: Annotated[
        str | None,
        typer.Option(help="Last day of the period, YYYY-MM-DD (default: today, UTC)."),
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Replace data the seeder did not make, even in production.")
    ] = False,
) -> None:
    """Replace the data in VEDB_DATABASE_URL with a deterministic seeded profile."""
    from vedb.seed_command import seed_database, summary  # noqa: PLC0415 -- ops extra (numpy)
    from vedb.seeding import SeedRefused  # noqa: PLC0415

    try:
        end = date.fromisoformat(anchor) if anchor else datetime.now(UTC).date()
    except ValueError:
        raise fail(f"--anchor {anchor!r} is not a date: use YYYY-MM-DD") from None
    url = database_url(load_settings())
    try:
        result = seed_database(url, profile, seed_value, end, force=force, console=err)
    except (SeedRefused, ValueError) as exc:
        raise fail(f"refusing to seed {redact(url)}: {exc}" if isinstance(exc, SeedRefused)
                   else str(exc)) from exc  # fmt: skip
    except psycopg.Error as exc:
        raise fail(f"database {redact(url)}: {str(exc).strip()}") from exc
    out.print(summary(result))


@bench_app.command("seed")
def bench_seed_command(
    profile: Annotated[str, typer.Option(help="demo, load or scale.")] = "load",
    seed_value: Annotated[int, typer.Option("--seed")] = 1,
) -> None:
    """Seed PROFILE into a scratch database and pgbench -i into another; compare rows/s."""
    from vedb.bench import BenchError, bench_seed, comparison  # noqa: PLC0415 -- ops extra
    from vedb.seed_command import summary  # noqa: PLC0415

    url = database_url(load_settings())
    try:
        result = bench_seed(url, profile, seed_value, err)
    except (BenchError, ValueError) as exc:
        raise fail(str(exc)) from exc
    except psycopg.Error as exc:
        raise fail(f"database {redact(url)}: {str(exc).strip()}") from exc
    out.print(summary(result.seed))
    out.print(comparison(result))


@bench_app.command("queries")
def bench_queries_command(
    runs: Annotated[int, typer.Option(min=3, help="Timed runs per query and variant.")] = 9,
    batch: Annotated[int, typer.Option(min=1, max=500, help="Events per ingest batch.")] = 100,
) -> None:
    """Each query uncached, raw reference vs rollup, then the cost of keeping rollups current."""
    from vedb import bench_queries as bq  # noqa: PLC0415

    url = database_url(load_settings())
    try:
        with psycopg.connect(url, autocommit=True) as conn:

            def say(label: str) -> None:
                err.print(f"  timing {label}", highlight=False)

            out.print(bq.query_table(bq.time_queries(conn, runs, say)))
            day = bq.replay_day(conn)
            fold = bq.one_day_fold(conn, day)  # rolled back: leaves nothing
        err.print("  timing ingest on scratch copies of the database")
        rates = {}
        for rollups in (True, False):
            with bq.scratch_copy(url) as copy:
                rates[rollups] = bq.ingest_rate(copy, day, rollups=rollups, size=batch)
        out.print(bq.ingest_table(rates[True], rates[False], fold, len(day[0]), batch))
    except psycopg.Error as exc:
        raise fail(f"database {redact(url)}: {str(exc).strip()}") from exc


@bench_app.command("api")
def bench_api_command(
    connections: Annotated[int, typer.Option(min=1, help="wrk connections.")] = 16,
    seconds: Annotated[int, typer.Option(min=1, max=600, help="Length of each wrk run.")] = 10,
) -> None:
    """Cached analytics requests/s against a bare Starlette route serving the same bytes."""
    from vedb.bench_api import BenchError, bench_api  # noqa: PLC0415 -- ops extra (httpx)

    settings = load_settings()
    stack = detached.running_stack(settings)
    url = settings.database_url or (detached.app_database_url(stack) if stack else None)
    redis_url = settings.redis_url or (stack.redis.url if stack else None)
    if url is None or redis_url is None:
        raise fail("no stack: run `vedb stack up` (and seed it), or set VEDB_DATABASE_URL and "
                   "VEDB_REDIS_URL")  # fmt: skip
    try:
        out.print(bench_api(url, redis_url, connections, seconds, err))
    except (BenchError, StackError) as exc:
        raise fail(str(exc)) from exc


@app.command("query")
def query_command(
    name: Annotated[str, typer.Argument(help="A query from queries/, e.g. leaderboard.")],
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="NAME=VALUE, repeatable.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print rows as JSON.")] = False,
    cache: Annotated[
        bool, typer.Option(help="Read and fill the Redis cache (VEDB_REDIS_URL).")
    ] = False,
) -> None:
    """Run one analytics query and print its rows as a table or JSON."""
    settings = load_settings()
    raw: dict[str, object] = {}
    for item in param or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise fail(f"--param {item!r}: use NAME=VALUE")
        if key in raw:
            raise fail(f"--param {key} is given twice: give each parameter once")
        raw[key] = value
    try:
        result = asyncio.run(run_query(settings, name, raw, cache))
    except (UnknownQuery, ParamError, CatalogError) as exc:
        raise fail(str(exc).strip('"')) from exc
    except psycopg.Error as exc:
        raise fail(f"database: {str(exc).strip()}") from exc
    rows = [row.model_dump(mode="json") for row in result.rows]
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title=f"{name} v{result.query.version}  {result.params}  cache: {result.cache}")
    for column in ROW_MODELS[name].model_fields:
        table.add_column(column)
    for row in rows:
        table.add_row(
            *(json.dumps(v) if isinstance(v, list | dict) else str(v) for v in row.values())
        )
    out.print(table)


async def run_query(settings: Settings, name: str, raw: dict[str, object], cached: bool) -> Result:
    catalog = load_catalog(settings.queries_dir)
    redis_client = None
    query_cache = None
    if cached:
        if not settings.redis_url:
            raise fail("--cache needs VEDB_REDIS_URL")
        redis_client = cache_client(settings.redis_url, settings.redis_timeout_s)
        query_cache = QueryCache(redis_client)
    try:
        analytics = Analytics(catalog, connect_to(database_url(settings)), query_cache)
        return await analytics.run(name, raw)
    finally:
        if redis_client is not None:
            await redis_client.aclose()


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def demo(
    ctx: typer.Context,
    profile: Annotated[str, typer.Option(help="Seed profile: demo, load or scale.")] = "demo",
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
    from vedb.seeding import SeedRefused  # noqa: PLC0415

    try:
        length = seconds or SECONDS.get(profile, 60)
        code = run_demo(profile, length, users or USERS.get(profile, 10), ui, list(ctx.args), err)
    except (StackError, SeedRefused, ValueError) as exc:
        raise fail(str(exc)) from exc
    raise typer.Exit(code)


@app.command()
def tune(
    memory: Annotated[str, typer.Option(help="RAM, e.g. 4GB or 2048MB.")],
    cpus: Annotated[int, typer.Option(min=1)],
    profile: Annotated[str, typer.Option(help="web, oltp, dw, mixed or desktop.")] = "web",
    disk: Annotated[str, typer.Option(help="hdd, ssd or nvme.")] = "ssd",
    pg: Annotated[int, typer.Option(help="PostgreSQL major version.")] = 15,
    connections: Annotated[
        int | None, typer.Option(help="max_connections (default: per profile).")
    ] = None,
) -> None:
    """Print the tuned postgresql.conf for a host (PGTune's formulas)."""
    size = memory.strip().upper()
    units = {"GB": 1024, "MB": 1}
    unit = next((u for u in units if size.endswith(u)), None)
    if unit is None or not size[: -len(unit)].strip().isdigit():
        raise fail(f"--memory {memory!r}: use a whole number of GB or MB, e.g. 4GB")
    if profile not in PROFILES:
        raise fail(f"--profile {profile!r}: choose one of {', '.join(PROFILES)}")
    if disk not in DISKS:
        raise fail(f"--disk {disk!r}: choose one of {', '.join(DISKS)}")
    memory_mb = int(size[: -len(unit)]) * units[unit]
    try:
        text = render_postgresql_conf(host="(vedb tune)", memory_mb=memory_mb, cpus=cpus,
                                      disk=disk, profile=profile, pg_major=pg,
                                      max_connections=connections)  # fmt: skip
    except ValueError as exc:
        raise fail(str(exc)) from exc
    print(text, end="")


@secrets_app.command("new")
def secrets_new(
    path: Annotated[Path, typer.Argument(help="Where to write it, e.g. secrets/production.toml.")],
) -> None:
    """Write a deploy secrets file of fresh random values, mode 0600; never overwrites one."""
    try:
        write_new_secrets(path)
    except FileExistsError:
        raise fail(f"{path} already exists: edit it, or remove it first to start over") from None
    out.print(f"wrote {path} (mode 0600): the passwords and one API token with every scope")


@secrets_app.command("check")
def secrets_check(
    path: Annotated[Path, typer.Argument(help="The secrets file the deploy will read.")],
) -> None:
    """Validate a secrets file (and VEDB_SECRET_* overrides) as the deploy would."""
    try:
        loaded = load_secrets(path)
    except SecretsError as exc:
        raise fail(str(exc)) from None
    out.print(f"{path}: ok, {len(loaded.api_tokens)} API token(s)")


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
    uvicorn.run("vedb.api.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="info", access_log=access_log)  # fmt: skip


@app.command()
def refresh(
    full: Annotated[
        bool, typer.Option("--full", help="Rebuild every rollup from the source tables.")
    ] = False,
) -> None:
    """Bring the rollups up to date: rebuild what writes queued, or everything (--full)."""
    from vedb.analytics.rollups import refresh_and_invalidate  # noqa: PLC0415

    settings = load_settings()
    url = database_url(settings)
    try:
        result = asyncio.run(refresh_and_invalidate(url, settings, full=full))
    except psycopg.Error as exc:
        raise fail(f"database {redact(url)}: {str(exc).strip()}") from exc
    if result.kind == "none":
        out.print("Rollups are current: nothing was queued.")
    else:
        out.print(f"Rollups rebuilt ({result.kind}, {result.queued} queued change(s)) "
                  f"in {result.seconds:.1f} s.")  # fmt: skip
    if result.last_full is not None:
        out.print(f"Last full rebuild: {result.last_full.isoformat(timespec='seconds')}")


@app.command()
def migrate(
    status: Annotated[bool, typer.Option("--status", help="Only list migrations.")] = False,
) -> None:
    """Apply pending migrations to VEDB_DATABASE_URL (or the running stack), like `yoyo apply`."""
    url = database_url(load_settings())
    try:
        if status:
            for item in migrations.status(url):
                mark = "[green]applied[/]" if item.applied else "[yellow]pending[/]"
                out.print(f"{mark}  {item.id}")
            return
        applied = migrations.apply_all(url)
    except (psycopg.Error, psycopg2.Error) as exc:
        raise fail(f"database {redact(url)}: {str(exc).strip()}") from exc
    out.print(f"Applied {len(applied)} migration(s)." if applied else "Already at head.")
    for migration_id in applied:
        out.print(f"  {migration_id}", highlight=False)
