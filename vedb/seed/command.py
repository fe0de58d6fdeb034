"""`vedb seed`: guard, generate, load, and report what was loaded how fast."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

import psycopg
from psycopg import sql
from rich.console import Console
from rich.table import Table

from seeds import get_profile
from vedb.analytics.rollups import ROLLUP_TABLES
from vedb.seed.load import LoadReport, SeedRefused, load, missing_tables, refusal
from vedb.seed.progress import LineProgress, LoadProgress, RichProgress, Silent
from vedb.seed.tables import SEEDED_TABLES, Dataset, generate


@dataclass(frozen=True)
class SeedResult:
    dataset: Dataset
    generate_seconds: float
    report: LoadReport


def seed_database(
    url: str,
    profile_name: str,
    seed: int,
    anchor: date,
    *,
    force: bool = False,
    console: Console | None = None,
) -> SeedResult:
    profile = get_profile(profile_name)
    with psycopg.connect(url) as conn:
        missing = missing_tables(conn, [*SEEDED_TABLES, "ops.seed_runs"])
        if missing:
            raise SeedRefused(
                f"the schema is not migrated ({missing[0]} is missing): "
                "run `vedb migrate` or `yoyo apply` first"
            )
        reason = refusal(conn, SEEDED_TABLES)
        if reason and not force:
            raise SeedRefused(f"{reason}. Nothing was changed; pass --force to replace it.")
        conn.commit()  # COPY FREEZE wants no snapshot left over from these checks

        started = time.perf_counter()
        if console and not console.is_terminal:
            console.print(f"Generating the {profile.name!r} profile (seed {seed}) ...")
            dataset = generate(profile, seed, anchor)
        elif console:
            with console.status(f"Generating the {profile.name!r} profile (seed {seed}) ..."):
                dataset = generate(profile, seed, anchor)
        else:
            dataset = generate(profile, seed, anchor)
        generated = time.perf_counter() - started

        progress: LoadProgress
        if console:
            display = RichProgress(console) if console.is_terminal else LineProgress(console)
            with display as progress:
                report = load(conn, dataset, progress)
        else:
            report = load(conn, dataset, Silent())
        # The rollups were rewritten in the load's transaction: set their hint bits and
        # visibility map now, or the first queries after a seed pay for it (VACUUM needs
        # autocommit).
        conn.autocommit = True
        for table in ROLLUP_TABLES:
            conn.execute(sql.SQL("VACUUM {}").format(sql.Identifier(*table.split("."))))
    return SeedResult(dataset, generated, report)


def summary(result: SeedResult) -> Table:
    report = result.report
    table = Table(
        title=f"Seeded profile {result.dataset.profile.name!r}, seed "
        f"{result.dataset.seed}, anchor {result.dataset.anchor}"
    )
    for header in ("table", "rows", "COPY s", "rows/s", "MB/s"):
        table.add_column(header, justify="left" if header == "table" else "right")
    for loaded in report.tables:
        table.add_row(
            loaded.table,
            f"{loaded.rows:,}",
            f"{loaded.seconds:.2f}",
            f"{loaded.rows_per_s:,.0f}",
            f"{loaded.mb_per_s:.1f}",
        )
    rows = sum(t.rows for t in report.tables)
    table.add_section()
    table.add_row("generate (numpy)", "", f"{result.generate_seconds:.2f}", "", "")
    table.add_row(
        "COPY, all tables",
        f"{rows:,}",
        f"{report.copy_seconds:.2f}",
        f"{rows / report.copy_seconds:,.0f}",
        "",
    )
    table.add_row("keys, indexes, FKs, rollups, ANALYZE", "", f"{report.index_seconds:.2f}", "", "")
    total = result.generate_seconds + report.total_seconds
    table.add_row("[bold]total[/]", f"{rows:,}", f"[bold]{total:.2f}[/]", "", "")
    return table
