"""`vedb bench growth`: how each cost grows with the data, on one server and in one run.

For each profile in turn: seed it into a scratch database (timed: migrations, generation,
COPY, keys, rollups), time every query uncached (p50/p95, the rollups as the API reads them),
time `vedb refresh --full`, forget the heaviest student in a dry run on the log as seeded (the
seed writes ended months by student already), reorder any ended month still in arrival order
(migration 0034, as `vedb refresh` does a month at a time), and forget them for real; then
drop the database. The tables print
each figure per profile and the ratio from one profile to the next.
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from rich.console import Console
from rich.table import Table

from vedb.analytics import erasure, rollups
from vedb.analytics.catalog import load_catalog
from vedb.analytics.params import validate
from vedb.bench.queries import cases, percentile, run_times_ms
from vedb.bench.seed import seeded_scratch
from vedb.settings import Settings

# The student with the most events, as forget_user's worst case.
HEAVIEST = """
SELECT a.user_id, a.events
FROM analytics.user_activity AS a
JOIN learning.users AS u ON u.id = a.user_id
WHERE NOT EXISTS (SELECT FROM learning.courses AS c WHERE c.teacher_id = u.id)
ORDER BY a.events DESC, a.user_id
LIMIT 1
"""
REORDER_ALL = 1_000  # every ended month, where `vedb refresh` does one per run
COUNTS = """
SELECT (SELECT count(*) FROM analytics.behavior_log), (SELECT count(*) FROM learning.users)
"""


@dataclass(frozen=True)
class ProfileFigures:
    profile: str
    events: int
    users: int
    seed_s: float
    query_ms: dict[str, list[float]]  # query label -> samples
    refresh_full_s: float
    forgotten: erasure.Forgotten | None
    forgotten_events: int
    forgotten_unordered: erasure.Forgotten | None = None  # the dry run, log in arrival order
    reordered: tuple[rollups.Reordered, ...] = ()


def measure(
    server_url: str, profile: str, seed: int, runs: int, console: Console | None
) -> ProfileFigures:
    """Seeds ``profile`` into a scratch database on ``server_url``, measures it, drops it."""
    catalog = load_catalog(Settings().queries_dir)
    say: Callable[[str], None] = console.print if console else (lambda _: None)
    started = time.perf_counter()
    with seeded_scratch(server_url, profile, seed, console, prefix="vedb_bench_growth") as (db, _):
        seed_s = time.perf_counter() - started
        with psycopg.connect(db, autocommit=True) as conn:
            events, users = _row(conn, COUNTS)
            query_ms: dict[str, list[float]] = {}
            for name, params in cases(conn):
                # The busiest user or course differs by profile: the label names the role.
                label = f"{name}, busiest {' and '.join(params)}" if params else name
                say(f"  {profile}: timing {label}")
                query = catalog[name]
                query_ms[label] = run_times_ms(conn, query.sql, validate(query, params), runs)
            say(f"  {profile}: vedb refresh --full")
            refresh_s = rollups.refresh(conn, full=True, reorder_months=0).seconds
            heaviest = conn.execute(HEAVIEST).fetchone()
            forgotten = unordered = None
            forgotten_events = 0
            if heaviest is not None:
                say(f"  {profile}: forgetting user {heaviest[0]} in a dry run (as seeded)")
                unordered = erasure.forget(conn, heaviest[0], dry_run=True)
            reordered = rollups.reorder_ended_months(
                conn, REORDER_ALL, on_month=lambda p: say(f"  {profile}: reordering {p}")
            )
            if heaviest is not None:
                say(f"  {profile}: forgetting user {heaviest[0]} ({heaviest[1]:,} events)")
                forgotten, forgotten_events = erasure.forget(conn, heaviest[0]), heaviest[1]
    return ProfileFigures(
        profile,
        events,
        users,
        seed_s,
        query_ms,
        refresh_s,
        forgotten,
        forgotten_events,
        unordered,
        reordered,
    )


def describe_server(conn: psycopg.Connection[Any]) -> str:
    row = conn.execute(
        "SELECT current_setting('server_version'), current_setting('shared_buffers'),"
        " current_setting('fsync'), current_setting('synchronous_commit')"
    ).fetchone()
    version, buffers, fsync, commit = row if row else ("?", "?", "?", "?")
    return (
        f"PostgreSQL {version}, shared_buffers {buffers}, fsync {fsync}, "
        f"synchronous_commit {commit}; every profile seeded into a scratch database and dropped"
    )


def _row(conn: psycopg.Connection[Any], query: str) -> tuple[int, int]:
    row = conn.execute(query).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _ratio(later: float, earlier: float) -> str:
    return f"{later / earlier:.2f}x" if earlier > 0 else "-"


def query_table(figures: list[ProfileFigures]) -> Table:
    table = Table(title="Queries, uncached, as the API reads them (ms): p50 / p95, and p95 growth")
    table.add_column("query", overflow="fold")
    for f in figures:
        table.add_column(f"{f.profile} p50/p95", justify="right")
    for earlier, later in itertools.pairwise(figures):
        table.add_column(f"{earlier.profile}→{later.profile}", justify="right")
    for label in figures[0].query_ms:
        p95 = [percentile(f.query_ms[label], 0.95) for f in figures]
        cells = [
            f"{statistics.median(f.query_ms[label]):.2f} / {p:.2f}"
            for f, p in zip(figures, p95, strict=True)
        ]
        cells += [_ratio(b, a) for a, b in itertools.pairwise(p95)]
        table.add_row(label, *cells)
    return table


def cost_table(figures: list[ProfileFigures]) -> Table:
    table = Table(title="What grows with the data")
    table.add_column("measure")
    for f in figures:
        table.add_column(f.profile, justify="right")
    table.add_row("events", *(f"{f.events:,}" for f in figures))
    table.add_row("users", *(f"{f.users:,}" for f in figures))
    seeds = (f"{f.seed_s:.1f} s" for f in figures)
    table.add_row("seed (migrate, generate, load, rollups)", *seeds)
    table.add_row("vedb refresh --full", *(f"{f.refresh_full_s:.2f} s" for f in figures))
    table.add_row(
        "forget the heaviest student, dry run, as seeded",
        *(_forgot(f.forgotten_unordered, f.forgotten_events) for f in figures),
    )
    table.add_row(
        "reorder ended months still in arrival order",
        *(
            f"{sum(m.seconds for m in f.reordered):.1f} s ({len(f.reordered)} months)"
            for f in figures
        ),
    )
    table.add_row(
        "forget the heaviest student, for real",
        *(_forgot(f.forgotten, f.forgotten_events) for f in figures),
    )
    return table


def _forgot(forgotten: erasure.Forgotten | None, events: int) -> str:
    if forgotten is None:
        return "-"
    return f"{forgotten.seconds * 1000:.0f} ms ({events:,} events, {forgotten.total:,} rows)"
