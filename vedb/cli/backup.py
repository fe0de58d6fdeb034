"""`vedb backup` and `vedb restore`: pgBackRest on demand, on the database host or through SSH.

On the host they run as the postgres account (root is switched to it); from an operator's
machine `--host NAME` runs the same command on that inventory host over SSH.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Annotated, Any

import psycopg
import typer
from rich.table import Table

from vedb.backup.fingerprint import TableFingerprint, fingerprint
from vedb.backup.pgbackrest import (
    SCRATCH_PORT,
    BackupError,
    Target,
    backup,
    check_kind,
    drop,
    parse_time,
    restore,
    scratch_dir,
)
from vedb.cli.app import app, fail, out
from vedb.provision.hosts import InventoryError, ssh_command

HostOption = Annotated[
    str | None,
    typer.Option(
        "--host",
        help="Run on this inventory host over SSH (VEDB_INVENTORY_FILE or VEDB_DEPLOY_HOSTS).",
    ),
]


def _run_remotely(host: str) -> None:
    """Runs this very command on ``host`` with --host removed; exits with its exit code."""
    args = sys.argv[1:]
    i = args.index("--host") if "--host" in args else -1
    args = args[:i] + args[i + 2 :] if i >= 0 else [a for a in args if not a.startswith("--host=")]
    try:
        command = ssh_command(host, args)
    except InventoryError as exc:
        raise fail(str(exc)) from None
    raise typer.Exit(subprocess.run(command, check=False).returncode)


def _as_postgres() -> None:
    """pgBackRest's repository and the clusters belong to postgres: become it (root only)."""
    if os.geteuid() == 0:
        os.chdir("/")
        argv = ["runuser", "-u", "postgres", "--", sys.argv[0], *sys.argv[1:]]
        os.execvp("runuser", argv)  # noqa: S606 -- this same command as postgres, no shell


@app.command("backup")
def backup_command(
    kind: Annotated[str, typer.Option("--type", help="full, diff or incr.")] = "full",
    host: HostOption = None,
) -> None:
    """Take a pgBackRest backup now (the timers take them nightly); WAL is archived always."""
    try:
        check_kind(kind)  # before any SSH
        if host:
            _run_remotely(host)
        _as_postgres()
        backup(Target(), kind)
    except BackupError as exc:
        raise fail(str(exc)) from None
    out.print(f"[green]{kind} backup done[/]; `sudo -u postgres pgbackrest info` lists it")


def _fingerprint_at(socket_dir: str, port: int, database: str) -> dict[str, TableFingerprint]:
    """A cluster on this host, as postgres over its Unix socket (peer authentication)."""
    with psycopg.connect(
        host=socket_dir, port=port, dbname=database, user="postgres", autocommit=True
    ) as conn:
        return fingerprint(conn)


def _report(
    name: str,
    restored: dict[str, TableFingerprint],
    live: dict[str, TableFingerprint],
    as_json: bool,
) -> None:
    if as_json:
        tables: dict[str, Any] = {
            table: {
                "rows": fp.rows,
                "checksum": fp.checksum,
                "live_rows": live[table].rows if table in live else None,
                "live_checksum": live[table].checksum if table in live else None,
            }
            for table, fp in restored.items()
        }
        print(json.dumps({"scratch": str(scratch_dir(name)), "tables": tables}))
        return
    table = Table(
        title=f"Restored into {scratch_dir(name)}",
        caption="checksum: sum of a 64-bit slice of each row's md5",
    )
    for header in ("table", "rows", "checksum", "live rows", "same as live"):
        table.add_column(header, overflow="fold")
    for name_, fp in restored.items():
        now = live.get(name_)
        same = "[green]yes[/]" if now == fp else "[yellow]no[/]"
        table.add_row(name_, f"{fp.rows:,}", fp.checksum, f"{now.rows:,}" if now else "-", same)
    out.print(table)
    out.print(
        f"Inspect: sudo -u postgres psql -h {scratch_dir(name)} -d vedb; "
        f"remove: vedb restore --drop {name}"
    )


@app.command("restore")
def restore_command(
    into: Annotated[str | None, typer.Option(help="Name of the scratch cluster to make.")] = None,
    time: Annotated[
        str | None, typer.Option(help="Point in time, ISO 8601 with offset; default: latest.")
    ] = None,
    drop_name: Annotated[
        str | None, typer.Option("--drop", help="Stop and remove this scratch cluster.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable fingerprints.")] = False,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds to wait for recovery.")] = 600,
    host: HostOption = None,
) -> None:
    """Restore the backups into a scratch cluster beside the live one (never over it), up to
    --time, and print every table's row count and checksum against the live database."""
    if (into is None) == (drop_name is None):
        raise fail("give exactly one of --into NAME or --drop NAME")
    try:  # bad input fails here, before SSH or any change
        scratch_dir(into or drop_name or "")
        moment = parse_time(time) if time else None
    except BackupError as exc:
        raise fail(str(exc)) from None
    if host:
        _run_remotely(host)
    _as_postgres()
    target = Target()
    if drop_name:
        removed = drop(drop_name)
        out.print(f"removed {scratch_dir(drop_name)}" if removed else "no such scratch cluster")
        return
    assert into is not None
    try:
        data_dir = restore(target, into, moment, timeout)
        restored = _fingerprint_at(str(data_dir), SCRATCH_PORT, target.database)
        live = (  # a cluster's backup host has no live database beside the restored one
            _fingerprint_at(target.socket_dir, target.port, target.database)
            if target.has_live_cluster()
            else {}
        )
    except BackupError as exc:
        raise fail(str(exc)) from None
    _report(into, restored, live, as_json)
