"""`vedb bench queries`, second part: PostgreSQL's defaults against the server's tuned values.

On one server and the same data, each query runs with the session set to PostgreSQL's built-in
default (pg_settings.boot_val) for every planner and memory setting the server's configuration
changed (`vedb tune` writes them), then with the server's own values. Settings that only a
restart changes (shared_buffers, wal_buffers, max_connections) are the server's in both runs.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from rich.table import Table

from vedb.analytics.catalog import Query, load_catalog
from vedb.analytics.params import validate
from vedb.bench.queries import run_times_ms
from vedb.settings import Settings

Connection = psycopg.Connection[Any]
RAW_RUNS = 3  # the raw-table references take seconds each: fewer runs, medians only

# boot_val and setting are in the setting's base unit (kB, 8kB, ms...): SET takes them as they
# are, and sizes are shown in bytes' human form.
CHANGED = """
WITH scale AS (
    SELECT name, boot_val, setting, unit, context, source, category,
           CASE unit WHEN 'B' THEN 1 WHEN 'kB' THEN 1024 WHEN '8kB' THEN 8192
                     WHEN 'MB' THEN 1048576 END AS bytes
    FROM pg_settings
)
SELECT name, boot_val,
       CASE WHEN bytes IS NULL THEN boot_val || coalesce(' ' || unit, '')
            ELSE pg_size_pretty(boot_val::numeric * bytes) END,
       CASE WHEN bytes IS NULL THEN setting || coalesce(' ' || unit, '')
            ELSE pg_size_pretty(setting::numeric * bytes) END
FROM scale
WHERE context IN ('user', 'superuser')
  AND source IN ('configuration file', 'command line', 'database', 'user')
  AND setting IS DISTINCT FROM boot_val
  AND (category LIKE 'Query Tuning%' OR category LIKE 'Resource Usage%')
ORDER BY name
"""


@dataclass(frozen=True)
class Changed:
    name: str
    default: str  # in the base unit, as SET takes it
    default_shown: str
    tuned_shown: str


@dataclass(frozen=True)
class SettingsTiming:
    label: str
    kind: str  # "rollup" or "raw"
    default_ms: float  # medians
    tuned_ms: float


def changed_settings(conn: Connection) -> list[Changed]:
    return [Changed(*row) for row in conn.execute(CHANGED).fetchall()]


@contextmanager
def postgres_defaults(conn: Connection, changed: list[Changed]) -> Iterator[None]:
    for setting in changed:
        conn.execute(
            sql.SQL("SET {} = {}").format(
                sql.Identifier(setting.name), sql.Literal(setting.default)
            )
        )
    try:
        yield
    finally:
        for setting in changed:
            conn.execute(sql.SQL("RESET {}").format(sql.Identifier(setting.name)))


def time_settings(
    conn: Connection,
    cases: list[tuple[str, dict[str, object]]],
    runs: int,
    progress: Callable[[str], None],
) -> list[SettingsTiming]:
    settings = Settings()
    catalogs: dict[str, dict[str, Query]] = {
        "rollup": load_catalog(settings.queries_dir),
        "raw": load_catalog(settings.queries_dir / "raw"),
    }
    changed = changed_settings(conn)
    timings = []
    for name, params in cases:
        label = f"{name} {params}" if params else name
        progress(f"{label}, PostgreSQL defaults and tuned")
        for kind, catalog in catalogs.items():
            query = catalog[name]
            bound = validate(query, params)
            count = runs if kind == "rollup" else RAW_RUNS
            with postgres_defaults(conn, changed):
                default_ms = statistics.median(run_times_ms(conn, query.sql, bound, count))
            tuned_ms = statistics.median(run_times_ms(conn, query.sql, bound, count))
            timings.append(SettingsTiming(label, kind, default_ms, tuned_ms))
    return timings


def settings_table(changed: list[Changed], timings: list[SettingsTiming]) -> Table:
    shown = ", ".join(f"{c.name} {c.default_shown} -> {c.tuned_shown}" for c in changed)
    table = Table(
        title="PostgreSQL defaults vs this server's settings (median ms, uncached)",
        caption=f"Set per session: {shown}. Restart-only settings are the server's in both.",
    )
    for header in ("query", "version", "defaults", "tuned", "defaults / tuned"):
        table.add_column(header, justify="left" if header in ("query", "version") else "right")
    for t in timings:
        table.add_row(
            t.label,
            t.kind,
            f"{t.default_ms:.2f}",
            f"{t.tuned_ms:.2f}",
            f"{t.default_ms / t.tuned_ms:.2f}x",
        )
    return table
