"""`vedb bench queries`: every query uncached, raw-table reference against rollup, on one
server and the same data; then what keeping the rollups current costs ingest."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from rich.table import Table

from vedb.analytics.catalog import load_catalog
from vedb.analytics.params import validate
from vedb.analytics.rollups import ROLLUP_TABLES
from vedb.api.events import INSERT
from vedb.databases import create_database, database_name, drop_database
from vedb.settings import Settings

Connection = psycopg.Connection[Any]
DISABLE = "ALTER TABLE analytics.behavior_log DISABLE TRIGGER behavior_log_queue_events"
FOLD = "SELECT analytics.fold_pending()"
FOLD_EVERY_S = 1.0  # the API's default VEDB_FOLD_INTERVAL_S


@dataclass(frozen=True)
class Timing:
    label: str
    raw_ms: list[float]
    rollup_ms: list[float]


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def describe_data(conn: Connection) -> str:
    """Which data and server the figures below are for."""
    row = conn.execute(
        """
        SELECT current_database(), current_setting('server_version'),
               current_setting('shared_buffers'), current_setting('fsync'),
               (SELECT format('profile %s (seed %s, anchor %s)', profile, seed, anchor)
                FROM ops.seed_runs ORDER BY id DESC LIMIT 1),
               (SELECT count(*) FROM analytics.behavior_log),
               (SELECT count(*) FROM learning.users)
        """
    ).fetchone()
    assert row is not None
    name, version, buffers, fsync, seeded, events, users = row
    return (
        f"Database {name}: {seeded or 'not seeded by vedb'}, {events:,} events, {users:,} users;"
        f" PostgreSQL {version}, shared_buffers {buffers}, fsync {fsync}"
    )


def cases(conn: Connection) -> list[tuple[str, dict[str, object]]]:
    """Each query with its defaults; id parameters get the busiest user and course."""
    row = conn.execute(
        "SELECT (SELECT user_id FROM analytics.user_activity ORDER BY events DESC LIMIT 1),"
        " (SELECT course_id FROM analytics.course_progress ORDER BY enrollments DESC LIMIT 1)"
    ).fetchone()
    user_id, course_id = row if row else (1, 1)
    ids = {"user_id": user_id, "course_id": course_id}
    catalog = load_catalog(Settings().queries_dir)
    found: list[tuple[str, dict[str, object]]] = []
    for name, query in sorted(catalog.items()):
        found.append((name, {p.name: ids[p.name] for p in query.params if p.required}))
        if name == "learning_funnel":
            found.append((name, {"course_id": course_id}))
    return found


def run_times_ms(
    conn: Connection, statement: str, bound: Mapping[str, object], runs: int
) -> list[float]:
    """Milliseconds of each of ``runs`` executions, after one untimed run to warm the cache:
    the steady state."""
    conn.execute(statement, bound).fetchall()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        conn.execute(statement, bound).fetchall()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def time_queries(conn: Connection, runs: int, progress: Callable[[str], None]) -> list[Timing]:
    settings = Settings()
    rollup, raw = load_catalog(settings.queries_dir), load_catalog(settings.queries_dir / "raw")
    timings = []
    for name, params in cases(conn):
        label = f"{name} {params}" if params else name
        progress(label)
        samples: dict[str, list[float]] = {"raw": [], "rollup": []}
        for kind, catalog in (("raw", raw), ("rollup", rollup)):
            query = catalog[name]
            samples[kind] = run_times_ms(conn, query.sql, validate(query, params), runs)
        timings.append(Timing(label, samples["raw"], samples["rollup"]))
    return timings


def query_table(timings: list[Timing]) -> Table:
    table = Table(title="Queries, uncached: raw-table reference vs rollup (ms)")
    for header in ("query", "raw p50", "raw p95", "rollup p50", "rollup p95", "p95 ratio"):
        # Wrapped, not cut with an ellipsis: the names must survive an 80-column pipe.
        table.add_column(header, justify="left" if header == "query" else "right", overflow="fold")
    for t in timings:
        raw95, roll95 = percentile(t.raw_ms, 0.95), percentile(t.rollup_ms, 0.95)
        table.add_row(
            t.label,
            f"{statistics.median(t.raw_ms):.1f}",
            f"{raw95:.1f}",
            f"{statistics.median(t.rollup_ms):.2f}",
            f"{roll95:.2f}",
            f"{raw95 / roll95:,.0f}x",
        )
    return table


def replay_day(conn: Connection) -> list[list[Any]]:
    """The log's last full day, moved to the day after it: a realistic day of new events
    (the same users, sessions, courses and rhythm), in time order, as ingest's columns."""
    rows = conn.execute(
        """
        WITH last_day AS (
            SELECT max(day) - 1 AS day FROM analytics.active_students_by_day
            WHERE active_students > 0
        )
        SELECT gen_random_uuid(), e.user_id, md5(e.session_id::text || 'replay')::uuid,
               e.event_type, e.course_id, e.lesson_id, e.occurred_at + interval '2 days',
               e.payload::text
        FROM analytics.behavior_log AS e, last_day AS d
        WHERE e.occurred_at >= d.day::timestamp AT TIME ZONE 'UTC'
          AND e.occurred_at < (d.day + 1)::timestamp AT TIME ZONE 'UTC'
        ORDER BY e.occurred_at
        """
    ).fetchall()
    return [list(column) for column in zip(*rows, strict=True)]


# What ingest and the fold read and write: the rollups, the queue, the students, and the log's
# monthly partitions the replayed events go to (0031's names), each with its indexes.
WARM_UP = """
WITH tables AS (
    SELECT unnest(%(tables)s::regclass[]) AS oid
    UNION
    SELECT to_regclass('analytics.behavior_log_' || to_char(at AT TIME ZONE 'UTC', '"y"YYYY"m"MM'))
    FROM unnest(%(first_and_last)s::timestamptz[]) AS at
)
SELECT sum(pg_prewarm(r.oid, 'read'))
FROM (SELECT oid FROM tables
      UNION ALL
      SELECT i.indexrelid FROM pg_index AS i JOIN tables AS t ON t.oid = i.indrelid) AS r
WHERE r.oid IS NOT NULL
"""


def warm_up(conn: Connection, columns: list[list[Any]]) -> int:
    """Reads what ingest and the fold touch into the OS page cache (pg_prewarm, created in
    the scratch copy; nothing if it cannot be), as on a server that had been taking events:
    a fresh copy holds none of it, and a fold on `huge` then reads the rollups from disk at
    about one random page per student and table, a cold cache's cost rather than the
    fold's. Returns the pages read."""
    try:
        with conn.transaction():
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
    except psycopg.errors.InsufficientPrivilege:
        return 0
    tables = [*ROLLUP_TABLES, "analytics.event_queue", "learning.users", "learning.courses"]
    times = columns[6]  # occurred_at, in time order
    row = conn.execute(
        WARM_UP, {"tables": tables, "first_and_last": [times[0], times[-1]]}
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


@dataclass(frozen=True)
class IngestRate:
    rows_per_s: float
    pages_warmed: int  # 0: the copy was not warmed (not asked, or pg_prewarm unavailable)


def ingest_rate(
    url: str,
    columns: list[list[Any]],
    *,
    rollups: bool,
    size: int,
    warm: bool = False,
) -> IngestRate:
    """Rows/s of ingest's INSERT, one committed batch of ``size`` after another, as the API
    does; run on a scratch copy of the database, which the caller drops. With ``rollups``, a
    second connection folds the queue every second, as the API does, and the clock stops
    when the last event is folded in. ``warm``: :func:`warm_up` first."""
    rows = len(columns[0])
    stop = threading.Event()

    def fold_every_second() -> None:
        with psycopg.connect(url, autocommit=True) as folder:
            while not stop.wait(FOLD_EVERY_S):
                folder.execute(FOLD)

    with psycopg.connect(url, autocommit=True) as conn, ThreadPoolExecutor(1) as pool:
        if not rollups:
            conn.execute(DISABLE)
        pages = warm_up(conn, columns) if warm else 0
        started = time.perf_counter()
        folding = pool.submit(fold_every_second) if rollups else None
        try:
            for low in range(0, rows, size):
                with conn.transaction():
                    conn.execute(INSERT, [c[low : low + size] for c in columns]).fetchall()
        finally:
            stop.set()
        if folding is not None:
            folding.result()  # re-raises what the folder hit
            conn.execute(FOLD)
        return IngestRate(rows / (time.perf_counter() - started), pages)


@contextmanager
def scratch_copy(url: str) -> Iterator[str]:
    """A copy of the database for writes the benchmark must not leave behind."""
    copy = create_database(url, prefix="vedb_bench", template=database_name(url))
    try:
        yield copy
    finally:
        drop_database(copy)


def one_day_fold(conn: Connection, columns: list[list[Any]], runs: int = 3) -> list[float]:
    """Seconds analytics.fold_pending() takes to fold a whole day of queued events in, each
    run rolled back; the first run also reads the rollups' pages from disk."""
    took = []
    for _ in range(runs):
        with conn.transaction(force_rollback=True):
            conn.execute(INSERT, columns).fetchall()
            started = time.perf_counter()
            conn.execute(FOLD)
            took.append(time.perf_counter() - started)
    return took


def ingest_table(
    with_rollups: float,
    without: float,
    fold_s: list[float],
    events: int,
    size: int,
    *,
    warmed: bool = False,
) -> Table:
    state = (
        "each copy's rollups and log partition read into memory first"
        if warmed
        else "each copy cold"
    )
    table = Table(title=f"Keeping the rollups current ({state})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row(f"ingest rows/s, committed batches of {size}, without rollups", f"{without:,.0f}")
    table.add_row(
        f"ingest rows/s, committed batches of {size}, with rollups (queued, folded every "
        f"{FOLD_EVERY_S:.0f} s by a second connection, until the last is folded)",
        f"{with_rollups:,.0f}",
    )
    table.add_row("with / without", f"{with_rollups / without:.0%}")
    if fold_s:  # not timed with --ingest-only
        table.add_row(
            f"rollup catch-up on one day of {events:,} new events, median of {len(fold_s)}",
            f"{statistics.median(fold_s):.2f} s",
        )
        table.add_row("  each run", ", ".join(f"{s:.2f} s" for s in fold_s))
    return table
