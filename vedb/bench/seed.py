"""`vedb bench seed`: the seed's load rate beside `pgbench -i`'s, same server, same run."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from rich.console import Console
from rich.table import Table

from seeds import get_profile
from vedb import migrations
from vedb.databases import create_database, drop_database, with_database
from vedb.seed.command import SeedResult, seed_database
from vedb.stack.binaries import postgres_bin_dir

PGBENCH_ROWS_PER_SCALE = 100_000
_DONE = re.compile(r"done in ([\d.]+) s \(.*?(?:client|server)-side generate ([\d.]+) s")


class BenchError(RuntimeError):
    pass


@dataclass(frozen=True)
class PgbenchRun:
    scale: int
    total_seconds: float
    generate_seconds: float
    table_bytes: int

    @property
    def rows(self) -> int:
        return self.scale * PGBENCH_ROWS_PER_SCALE


@dataclass(frozen=True)
class SeedBench:
    seed: SeedResult
    events_bytes: int
    pgbench: PgbenchRun

    @property
    def events_rows_per_s(self) -> float:
        return self.seed.report.table("analytics.behavior_log").rows_per_s

    @property
    def pgbench_rows_per_s(self) -> float:
        return self.pgbench.rows / self.pgbench.generate_seconds

    @property
    def ratio(self) -> float:
        return self.events_rows_per_s / self.pgbench_rows_per_s


def pgbench_binary() -> str:
    bin_dir = postgres_bin_dir()
    found = shutil.which("pgbench") or (
        str(bin_dir / "pgbench") if bin_dir and (bin_dir / "pgbench").exists() else None
    )
    if found is None:
        raise BenchError(
            "pgbench not found: install it (Debian/Ubuntu: `apt-get install postgresql-contrib`)"
        )
    return found


def run_pgbench(database_url: str, scale: int) -> PgbenchRun:
    result = subprocess.run(
        [pgbench_binary(), "-i", "-q", "-s", str(scale), database_url],
        capture_output=True,
        text=True,
        check=False,
    )
    match = _DONE.search(result.stderr + result.stdout)
    if result.returncode != 0 or match is None:
        raise BenchError(f"pgbench -i failed (exit {result.returncode}): {result.stderr.strip()}")
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT pg_relation_size('pgbench_accounts')").fetchone()
    return PgbenchRun(scale, float(match[1]), float(match[2]), int(row[0]) if row else 0)


@contextmanager
def seeded_scratch(
    server_url: str, profile: str, seed: int, console: Console | None, *, prefix: str
) -> Iterator[tuple[str, SeedResult]]:
    """A scratch database on the server of ``server_url``, migrated and seeded with
    ``profile`` as of today; dropped afterwards, however the caller ends."""
    get_profile(profile)  # a bad name fails before anything is created
    seed_db = create_database(with_database(server_url, "postgres"), prefix=prefix)
    try:
        migrations.apply_all(seed_db)
        yield (
            seed_db,
            seed_database(seed_db, profile, seed, datetime.now(UTC).date(), console=console),
        )
    finally:
        drop_database(seed_db)


def bench_seed(server_url: str, profile: str, seed: int, console: Console | None) -> SeedBench:
    """Seeds ``profile`` into one scratch database and runs pgbench -i into another."""
    admin = with_database(server_url, "postgres")
    pgbench_db: str | None = None
    with seeded_scratch(server_url, profile, seed, console, prefix="vedb_bench_seed") as (
        seed_db,
        result,
    ):
        with psycopg.connect(seed_db) as conn:
            # Every partition's heap (the log is partitioned by month, migration 0031).
            row = conn.execute(
                "SELECT sum(pg_relation_size(relid))::bigint"
                " FROM pg_partition_tree('analytics.behavior_log')"
            ).fetchone()
        events = result.report.table("analytics.behavior_log")
        scale = max(1, round(events.rows / PGBENCH_ROWS_PER_SCALE))
        try:
            pgbench_db = create_database(admin, prefix="vedb_bench_pgbench")
            if console:
                with console.status(
                    f"pgbench -i -s {scale} ({scale * PGBENCH_ROWS_PER_SCALE:,} rows) ..."
                ):
                    pgbench = run_pgbench(pgbench_db, scale)
            else:
                pgbench = run_pgbench(pgbench_db, scale)
            return SeedBench(result, int(row[0]) if row else 0, pgbench)
        finally:
            if pgbench_db:
                drop_database(pgbench_db)


def comparison(bench: SeedBench) -> Table:
    events = bench.seed.report.table("analytics.behavior_log")
    pgb = bench.pgbench
    table = Table(title="Load rate, same server, same run (MB/s = heap size on disk / time)")
    for header in ("load", "rows", "seconds", "rows/s", "MB/s"):
        table.add_column(header, justify="left" if header == "load" else "right")
    table.add_row(
        "vedb seed: behavior_log COPY",
        f"{events.rows:,}",
        f"{events.seconds:.2f}",
        f"{bench.events_rows_per_s:,.0f}",
        f"{bench.events_bytes / 1e6 / events.seconds:.1f}",
    )
    table.add_row(
        f"pgbench -i -s {pgb.scale}: generate",
        f"{pgb.rows:,}",
        f"{pgb.generate_seconds:.2f}",
        f"{bench.pgbench_rows_per_s:,.0f}",
        f"{pgb.table_bytes / 1e6 / pgb.generate_seconds:.1f}",
    )
    table.add_section()
    seed_total = bench.seed.generate_seconds + bench.seed.report.total_seconds
    rows = sum(t.rows for t in bench.seed.report.tables)
    table.add_row(
        "vedb seed: all tables, generate + indexes",
        f"{rows:,}",
        f"{seed_total:.2f}",
        f"{rows / seed_total:,.0f}",
        "",
    )
    table.add_row(
        "pgbench -i: total, with vacuum + keys",
        f"{pgb.rows:,}",
        f"{pgb.total_seconds:.2f}",
        f"{pgb.rows / pgb.total_seconds:,.0f}",
        "",
    )
    table.add_section()
    table.add_row(
        "[bold]events rows/s ÷ pgbench rows/s[/]", "", "", f"[bold]{bench.ratio:.2f}[/]", ""
    )
    return table
