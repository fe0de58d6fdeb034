"""`vedb seed`, `vedb migrate`, `vedb refresh`, `vedb forget`: what is in the database."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Annotated

import psycopg
import psycopg2
import typer

from vedb import migrations
from vedb.cli.app import (
    app,
    database_url,
    err,
    fail,
    load_settings,
    out,
)
from vedb.databases import redact


@app.command()
def seed(
    profile: Annotated[str, typer.Option(help="demo, load, scale or huge.")] = "demo",
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
    from vedb.seed.command import seed_database, summary  # noqa: PLC0415 -- ops extra (numpy)
    from vedb.seed.load import SeedRefused  # noqa: PLC0415

    try:
        end = date.fromisoformat(anchor) if anchor else datetime.now(UTC).date()
    except ValueError:
        raise fail(f"--anchor {anchor!r} is not a date: use YYYY-MM-DD") from None
    url = database_url(load_settings())
    try:
        result = seed_database(url, profile, seed_value, end, force=force, console=err)
    except (SeedRefused, ValueError) as exc:
        raise fail(
            f"refusing to seed {redact(url)}: {exc}" if isinstance(exc, SeedRefused) else str(exc)
        ) from exc
    except psycopg.Error as exc:
        raise fail(f"database {redact(url)}: {str(exc).strip()}") from exc
    out.print(summary(result))


@app.command()
def forget(
    user: Annotated[int, typer.Option("--user", help="The id of the user to erase.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would go, and roll it all back.")
    ] = False,
) -> None:
    """Erase one user (the right to be forgotten): their row and every row of theirs, and their
    contribution to the rollups, in one transaction; then every cached answer misses."""
    from vedb.analytics.erasure import ForgetError, forget_and_invalidate  # noqa: PLC0415

    settings = load_settings()
    url = database_url(settings)
    try:
        result = asyncio.run(forget_and_invalidate(url, settings, user, dry_run=dry_run))
    except ForgetError as exc:
        raise fail(f"cannot forget user {user}: {exc}") from None
    except psycopg.Error as exc:
        raise fail(f"database {redact(url)}: {str(exc).strip()}") from exc
    for table, rows in sorted(result.deleted.items()):
        if rows:
            out.print(f"  {table:<32} {rows:>10,}")
    tables = sum(1 for rows in result.deleted.values() if rows)
    if dry_run:
        out.print(
            f"Dry run: forgetting user {user} would delete {result.total:,} rows from {tables} "
            f"tables; rolled back, nothing changed ({result.seconds * 1000:.0f} ms)."
        )
    else:
        out.print(
            f"Forgot user {user}: {result.total:,} rows from {tables} tables, and their share "
            f"of every rollup, in {result.seconds * 1000:.0f} ms."
        )


@app.command()
def refresh(
    full: Annotated[
        bool, typer.Option("--full", help="Rebuild every rollup from the source tables.")
    ] = False,
    discard_dropped_history: Annotated[
        bool,
        typer.Option(
            "--discard-dropped-history",
            help="After retention dropped months of events, rebuild anyway, from the months"
            " kept: the rollups then forget the dropped months.",
        ),
    ] = False,
    reorder_months: Annotated[
        int,
        typer.Option(
            "--reorder-months",
            min=0,
            help="Reorder up to this many ended months of the event log by student (one CLUSTER"
            " each, holding that month's partition meanwhile); 0 skips it.",
        ),
    ] = 1,
) -> None:
    """Bring the rollups up to date: fold queued events, rebuild what writes queued, or
    everything (--full). Also makes the event log's next monthly partitions, drops the
    months past VEDB_EVENTS_RETENTION_MONTHS when it is set, and reorders an ended month's
    events by student, so that one student's events share a few pages."""
    from vedb.analytics.rollups import refresh_and_invalidate  # noqa: PLC0415

    settings = load_settings()
    url = database_url(settings)
    try:
        result = asyncio.run(
            refresh_and_invalidate(
                url,
                settings,
                full=full,
                discard_dropped_history=discard_dropped_history,
                reorder_months=reorder_months,
                on_reorder=lambda month: out.print(f"Reordering {month} by student..."),
            )
        )
    except psycopg.Error as exc:
        hint = f" ({exc.diag.message_hint})" if exc.diag.message_hint else ""
        raise fail(f"database {redact(url)}: {str(exc).strip()}{hint}") from exc
    if result.folded:
        out.print(f"Folded {result.folded:,} queued event(s) into the rollups.")
    if result.kind == "none":
        out.print("Rollups are current: no change that needs a rebuild was queued.")
    else:
        out.print(
            f"Rollups rebuilt ({result.kind}, {result.queued} queued change(s)) "
            f"in {result.seconds:.1f} s."
        )
    if result.partitions_made:
        out.print(f"Made {result.partitions_made} monthly partition(s) of the event log ahead.")
    if result.partitions_dropped:
        out.print(
            f"Dropped {len(result.partitions_dropped)} month(s) of events past retention: "
            + ", ".join(result.partitions_dropped)
        )
    for month in result.months_reordered:
        out.print(f"Reordered {month.partition} by student in {month.seconds:.1f} s.")
    if result.points_corrected:
        out.print(f"Corrected the points of {result.points_corrected:,} user(s) from the ledger.")
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
