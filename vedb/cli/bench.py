"""`vedb bench ...`: benchmarks that print figures."""

from __future__ import annotations

from typing import Annotated

import psycopg
import typer

from vedb.cli.app import (
    bench_app,
    database_url,
    err,
    fail,
    load_settings,
    out,
)
from vedb.databases import redact
from vedb.stack import StackError, detached


@bench_app.command("seed")
def bench_seed_command(
    profile: Annotated[str, typer.Option(help="demo, load, scale or huge.")] = "load",
    seed_value: Annotated[int, typer.Option("--seed")] = 1,
) -> None:
    """Seed PROFILE into a scratch database and pgbench -i into another; compare rows/s."""
    from vedb.bench.seed import BenchError, bench_seed, comparison  # noqa: PLC0415 -- ops extra
    from vedb.seed.command import summary  # noqa: PLC0415

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
    profile: Annotated[
        str | None,
        typer.Option(
            help="Seed demo, load or scale into a scratch database on the same server, bench "
            "that, and drop it. Default: the database as it is."
        ),
    ] = None,
    seed_value: Annotated[int, typer.Option("--seed", help="Seed of --profile.")] = 1,
    warm_up: Annotated[
        bool,
        typer.Option(
            help="Before each ingest timing, read the copy's rollups and log partition into "
            "memory (pg_prewarm), as a server taking events holds them; --no-warm-up times "
            "a cold scratch copy."
        ),
    ] = True,
    ingest_only: Annotated[
        bool,
        typer.Option(
            help="Only what keeping the rollups current costs ingest: on `huge` the raw "
            "references alone take hours."
        ),
    ] = False,
) -> None:
    """Each query uncached: raw reference vs rollup, PostgreSQL defaults vs tuned; then the
    cost of keeping the rollups current."""
    from vedb.bench.seed import seeded_scratch  # noqa: PLC0415 -- ops extra (numpy)
    from vedb.seed.load import SeedRefused  # noqa: PLC0415

    url = database_url(load_settings())
    try:
        if profile is None:
            _bench_queries(url, runs, batch, ingest_only=ingest_only, warm_up=warm_up)
            return
        with seeded_scratch(url, profile, seed_value, err, prefix="vedb_bench_queries") as (
            scratch,
            _,
        ):
            _bench_queries(scratch, runs, batch, ingest_only=ingest_only, warm_up=warm_up)
    except (ValueError, SeedRefused) as exc:
        raise fail(str(exc)) from exc
    except psycopg.Error as exc:
        raise fail(f"database {redact(url)}: {str(exc).strip()}") from exc


def _bench_queries(url: str, runs: int, batch: int, *, ingest_only: bool, warm_up: bool) -> None:
    from vedb.bench import queries as bq  # noqa: PLC0415
    from vedb.bench import settings as bs  # noqa: PLC0415

    with psycopg.connect(url, autocommit=True) as conn:

        def say(label: str) -> None:
            err.print(f"  timing {label}", highlight=False)

        out.print(bq.describe_data(conn))
        day = bq.replay_day(conn)
        fold: list[float] = []
        if not ingest_only:
            out.print(bq.query_table(bq.time_queries(conn, runs, say)))
            changed = bs.changed_settings(conn)
            if changed:
                timings = bs.time_settings(conn, bq.cases(conn), runs, say)
                out.print(bs.settings_table(changed, timings))
            else:
                err.print(
                    "  PostgreSQL defaults vs tuned: skipped, this server runs PostgreSQL's"
                    " defaults (configure it with `vedb tune`)"
                )
            fold = bq.one_day_fold(conn, day)  # rolled back: leaves nothing
    rates = {}
    for rollups in (True, False):
        err.print(
            f"  timing ingest {'with' if rollups else 'without'} rollups"
            " on a scratch copy of the database"
        )
        with bq.scratch_copy(url) as copy:
            rates[rollups] = bq.ingest_rate(copy, day, rollups=rollups, size=batch, warm=warm_up)
    warmed = all(rate.pages_warmed > 0 for rate in rates.values())
    if warm_up and not warmed:
        err.print(
            "  warning: the copies were timed cold, not warmed: the database lacks pg_prewarm"
            " and this login may not create it (a superuser can: CREATE EXTENSION pg_prewarm;"
            " the copies inherit it)"
        )
    out.print(
        bq.ingest_table(
            rates[True].rows_per_s,
            rates[False].rows_per_s,
            fold,
            len(day[0]),
            batch,
            warmed=warmed,
        )
    )


@bench_app.command("growth")
def bench_growth_command(
    profiles: Annotated[
        str, typer.Option(help="Comma-separated profiles, smallest first.")
    ] = "load,scale",
    runs: Annotated[int, typer.Option(min=3, help="Timed runs per query.")] = 9,
    seed_value: Annotated[int, typer.Option("--seed", help="Seed of every profile.")] = 1,
) -> None:
    """Per profile, on one server: seed time, each query's p50/p95, refresh --full, forgetting
    the heaviest student; with the growth from one profile to the next."""
    from seeds.profiles import get_profile  # noqa: PLC0415
    from vedb.bench import growth  # noqa: PLC0415 -- ops extra (numpy)
    from vedb.seed.load import SeedRefused  # noqa: PLC0415

    names = [p.strip() for p in profiles.split(",") if p.strip()]
    if len(names) < 2:
        raise fail(f"--profiles needs two profiles or more to show growth, not {profiles!r}")
    url = database_url(load_settings())
    try:
        for name in names:
            get_profile(name)  # every name is checked before the first seed
        figures = [growth.measure(url, name, seed_value, runs, err) for name in names]
    except (ValueError, SeedRefused) as exc:  # a ForgetError is a ValueError
        raise fail(str(exc)) from exc
    except psycopg.Error as exc:
        raise fail(f"database {redact(url)}: {str(exc).strip()}") from exc
    with psycopg.connect(url) as conn:
        out.print(growth.describe_server(conn))
    out.print(growth.query_table(figures))
    out.print(growth.cost_table(figures))


def _database_and_redis() -> tuple[str, str]:
    """VEDB_DATABASE_URL and VEDB_REDIS_URL, or the running stack's: what the API benches use."""
    settings = load_settings()
    stack = detached.running_stack(settings)
    url = settings.database_url or (detached.app_database_url(stack) if stack else None)
    redis_url = settings.redis_url or (stack.redis.url if stack else None)
    if url is None or redis_url is None:
        raise fail(
            "no stack: run `vedb stack up` (and seed it), or set VEDB_DATABASE_URL and "
            "VEDB_REDIS_URL"
        )
    return url, redis_url


@bench_app.command("api")
def bench_api_command(
    connections: Annotated[int, typer.Option(min=1, help="wrk connections.")] = 16,
    seconds: Annotated[int, typer.Option(min=1, max=600, help="Length of each wrk run.")] = 10,
) -> None:
    """Cached analytics requests/s against a bare Starlette route serving the same bytes."""
    from vedb.bench.api import BenchError, bench_api  # noqa: PLC0415 -- ops extra (httpx)

    url, redis_url = _database_and_redis()
    try:
        out.print(bench_api(url, redis_url, connections, seconds, err))
    except (BenchError, StackError) as exc:
        raise fail(str(exc)) from exc


@bench_app.command("endpoints")
def bench_endpoints_command(
    runs: Annotated[int, typer.Option(min=1, max=50, help="Timed calls per endpoint.")] = 5,
) -> None:
    """Every analytics endpoint through the API, Redis flushed before each call: median ms.
    Flushes the Redis database it is given."""
    from vedb.bench.endpoints import (  # noqa: PLC0415 -- ops extra (httpx)
        EndpointBenchError,
        endpoint_table,
        slowest_line,
        time_endpoints,
    )
    from vedb.bench.queries import describe_data  # noqa: PLC0415

    url, redis_url = _database_and_redis()
    try:
        with psycopg.connect(url) as conn:
            described = describe_data(conn)
        times = time_endpoints(url, redis_url, runs, err)
    except (EndpointBenchError, StackError) as exc:
        raise fail(str(exc)) from exc
    except psycopg.Error as exc:
        raise fail(f"database {redact(url)}: {str(exc).strip()}") from exc
    out.print(endpoint_table(times, runs, described))
    out.print(slowest_line(times, runs))


@bench_app.command("insights")
def bench_insights_command(
    runs: Annotated[int, typer.Option(min=1, max=100, help="Warm loads to time.")] = 9,
) -> None:
    """/insights in headless Chromium, cache warm: ms until every panel has drawn."""
    import secrets  # noqa: PLC0415

    from vedb.bench.insights import InsightsBenchError, page_times  # noqa: PLC0415 -- ops extra
    from vedb.demo import api_server  # noqa: PLC0415
    from vedb.stack.doctor import browser  # noqa: PLC0415

    chromium = browser()
    if chromium is None:
        raise fail("no chromium: run `vedb stack doctor --install --browser` (as root)")
    url, redis_url = _database_and_redis()
    with psycopg.connect(url) as conn:
        counted = conn.execute(
            "SELECT (SELECT count(*) FROM learning.users), (SELECT sum(greatest(c.reltuples, 0))"
            "::bigint FROM pg_partition_tree('analytics.behavior_log') AS t"
            " JOIN pg_class AS c ON c.oid = t.relid WHERE t.isleaf)"
        ).fetchone()
    token = secrets.token_urlsafe(24)
    try:
        with api_server(url, redis_url, token, err, workers=2) as base:
            times = page_times(chromium, base, token, runs)
    except (InsightsBenchError, StackError) as exc:
        raise fail(str(exc)) from exc
    users, events = counted if counted else (0, 0)
    out.print(f"/insights on {redact(url)}: {users:,} users, about {events:,} events")
    out.print(f"first load (fills the cache): {times.warmup_ms:.0f} ms")
    out.print(
        f"warm loads: median {times.median_ms:.0f} ms, max {max(times.runs_ms):.0f} ms "
        f"over {runs} (target: complete within 1000 ms)"
    )
    out.print(f"insights page complete, warm, median: {times.median_ms:.0f} ms")


@bench_app.command("ingest")
def bench_ingest_command(
    events: Annotated[int, typer.Option(min=1000, help="Events to post in all.")] = 200_000,
    batch: Annotated[int, typer.Option(min=1, max=500, help="Events per request.")] = 500,
    writers: Annotated[int, typer.Option(min=1, max=64, help="Concurrent connections.")] = 8,
    workers: Annotated[int, typer.Option(min=1, max=16, help="API worker processes.")] = 2,
) -> None:
    """Sustained ingest through the API on a scratch copy of the database: events/s, and
    how soon after the last acknowledgement the rollups have folded everything in."""
    import secrets  # noqa: PLC0415
    from datetime import UTC, datetime  # noqa: PLC0415

    from vedb.bench import ingest as bi  # noqa: PLC0415 -- ops extra
    from vedb.bench.queries import describe_data, scratch_copy  # noqa: PLC0415
    from vedb.demo import api_server  # noqa: PLC0415

    url, redis_url = _database_and_redis()
    token = secrets.token_urlsafe(24)
    started = datetime.now(UTC)
    try:
        with psycopg.connect(url) as conn:
            described = describe_data(conn)
        with scratch_copy(url) as copy, api_server(copy, redis_url, token, err, workers) as base:
            plan = bi.IngestPlan(events, batch, writers)
            run = bi.bench_ingest(
                copy, base, token, plan, lambda line: err.print(f"  {line}", highlight=False)
            )
    except (bi.IngestBenchError, StackError) as exc:
        raise fail(str(exc)) from exc
    except psycopg.Error as exc:
        raise fail(f"database {redact(url)}: {str(exc).strip()}") from exc
    for line in bi.report(run, described, started):
        out.print(line, highlight=False)
