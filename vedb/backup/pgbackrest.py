"""pgBackRest on the database host: take a backup, restore into a scratch cluster, drop it.

Everything here runs as the postgres OS account (the CLI switches to it), because pgBackRest's
repository and the data directory are postgres's, and a scratch cluster is reached over its
own Unix socket with peer authentication: it never listens on the network.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg

PGBACKREST = "pgbackrest"
STANZA = "vedb"  # the one cluster a host has; the deploy configures it under this name
SCRATCH_ROOT = Path("/var/lib/postgresql/vedb-restore")
SCRATCH_PORT = 5432  # names its socket file only: the scratch cluster has its own socket dir
SCRATCH_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
KINDS = ("full", "diff", "incr")
CONFIG = Path("/etc/pgbackrest.conf")  # Debian's pgbackrest reads this path
DATABASE_HOST_OPTION = re.compile(r"^pg[0-9]+-")
CHECK_TIMEOUT_S = 120  # on a repository host, how long `check` may try the database hosts
PROBE_TIMEOUT_S = 3.0  # a database host's pgBackRest TLS server that answers, answers at once
DEFAULT_TLS_PORT = 8432  # pgBackRest's own default for pgN-host-port
DATABASE_HOST = re.compile(r"^pg([0-9]+)-host(-port)?=(.+)$")


class BackupError(RuntimeError):
    """A backup or restore that did not happen; the message says why and what was cleaned up."""


@dataclass(frozen=True)
class Target:
    """Where a live cluster is and which pgBackRest stanza holds its backups."""

    stanza: str = STANZA
    socket_dir: str = "/var/run/postgresql"
    port: int = 5432
    database: str = "vedb"

    def has_live_cluster(self) -> bool:
        """Whether this host runs the cluster (a cluster's backup host runs none)."""
        return Path(self.socket_dir, f".s.PGSQL.{self.port}").exists()


def parse_time(value: str) -> datetime:
    """An ISO 8601 moment with its offset; a naive time would be read in some unknown zone."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BackupError(f"--time {value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise BackupError(f"--time {value!r} has no UTC offset: add one, e.g. {value}+00:00")
    return moment


def scratch_dir(name: str) -> Path:
    if not SCRATCH_NAME.match(name):
        raise BackupError(
            f"--into {name!r}: use a lowercase name of letters, digits and _ (at most 32)"
        )
    return SCRATCH_ROOT / name


def repository_only_config(source: Path, scratch: Path) -> Path:
    """``source`` without its pgN-* lines, written (0600) beside the scratch directory. Line
    by line, because pgBackRest repeats a key for a list (tls-server-auth, one per client)."""
    kept = [
        line
        for line in source.read_text().splitlines(keepends=True)
        if not DATABASE_HOST_OPTION.match(line.lstrip())
    ]
    written = scratch.with_name(f"{scratch.name}.pgbackrest.conf")
    descriptor = os.open(written, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.writelines(kept)
    return written


def database_hosts(config: Path) -> list[tuple[str, int]]:
    """The (address, port) of each pgN-host a repository host's settings name."""
    hosts: dict[str, str] = {}
    ports: dict[str, int] = {}
    for line in config.read_text().splitlines():
        found = DATABASE_HOST.match(line.strip())
        if found and found[2]:
            ports[found[1]] = int(found[3])
        elif found:
            hosts[found[1]] = found[3].strip()
    return [(address, ports.get(n, DEFAULT_TLS_PORT)) for n, address in sorted(hosts.items())]


def any_answers(hosts: list[tuple[str, int]], timeout_s: float = PROBE_TIMEOUT_S) -> bool:
    for address, port in hosts:
        try:
            socket.create_connection((address, port), timeout=timeout_s).close()
        except OSError:
            continue
        return True
    return False


def _pgbackrest(target: Target, *args: str, timeout_s: float | None = None) -> None:
    # Progress to stderr: stdout carries only the result (JSON with --json), even over SSH.
    logging = ["--log-level-console=off", "--log-level-stderr=info"]
    command = [PGBACKREST, f"--stanza={target.stanza}", *logging, *args]
    try:
        code = subprocess.run(command, check=False, timeout=timeout_s).returncode
    except subprocess.TimeoutExpired:
        raise BackupError(f"`{' '.join(command)}` gave no answer in {timeout_s:.0f} s") from None
    if code != 0:
        raise BackupError(f"`{' '.join(command)}` failed (its log is above)")


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise BackupError(f"--type {kind!r}: use one of {', '.join(KINDS)}")


def backup(target: Target, kind: str) -> None:
    """One backup of ``kind`` (full, diff or incr); pgBackRest expires what retention drops."""
    check_kind(kind)
    _pgbackrest(target, f"--type={kind}", "backup")


def _bin_dir(data_dir: Path) -> Path:
    major = (data_dir / "PG_VERSION").read_text().strip()
    return Path(f"/usr/lib/postgresql/{major}/bin")


def _scratch_config(data_dir: Path) -> None:
    """Debian keeps the live cluster's configuration in /etc, so the restored directory has
    none: the scratch cluster gets defaults, its own socket, no TCP, peer for postgres only."""
    (data_dir / "postgresql.conf").write_text(
        f"listen_addresses = ''\nunix_socket_directories = '{data_dir}'\nport = {SCRATCH_PORT}\n"
        "max_connections = 20\nlogging_collector = off\n"
        # No connections until promoted: a hot standby would refuse to replay WAL from a
        # primary with more max_connections (and friends) than these defaults.
        "hot_standby = off\n"
    )
    (data_dir / "pg_hba.conf").write_text("local all postgres peer\n")
    (data_dir / "pg_ident.conf").write_text("")


def _wait_promoted(data_dir: Path, database: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(
                host=str(data_dir),
                port=SCRATCH_PORT,
                dbname=database,
                user="postgres",
                connect_timeout=5,
            ) as conn:
                row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
                if row == (False,):
                    return
        except psycopg.OperationalError:
            pass  # still starting, or replaying WAL
        time.sleep(0.5)
    raise BackupError(f"the scratch cluster did not finish recovery within {timeout_s:.0f} s")


def restore(target: Target, name: str, moment: datetime | None, timeout_s: float) -> Path:
    """Restores the latest backup into a new scratch cluster and replays WAL up to ``moment``
    (or to the end of the archive), then promotes it and leaves it running. On any failure
    the scratch directory is removed again and the error carries the server log's tail."""
    data_dir = scratch_dir(name)
    if data_dir.exists():
        raise BackupError(f"{data_dir} exists: `vedb restore --drop {name}` first")
    # Switches WAL and waits until the segment is archived: changes up to now are restorable.
    # On a cluster's repository host the database hosts may be gone (that is when a restore
    # matters most): then it restores what the repository already holds.
    live = target.has_live_cluster()
    if not live and not any_answers(database_hosts(CONFIG)):
        # Powered-off hosts answer nothing: `check` would only wait out its bound.
        print(
            "no database host answers on its pgBackRest port: restoring from what the "
            "repository holds",
            file=sys.stderr,
        )
    else:
        try:
            # A host that answers but hangs: pgBackRest would wait out its protocol timeout
            # (30 min).
            _pgbackrest(target, "check", timeout_s=None if live else CHECK_TIMEOUT_S)
        except BackupError:
            if live:
                raise
            print(
                "pgbackrest check failed (no database host archives): restoring from what "
                "the repository holds",
                file=sys.stderr,
            )
    SCRATCH_ROOT.mkdir(mode=0o700, exist_ok=True)
    # Without a time, the default recovery replays to the archive's end and promotes; a
    # --target-action is only valid with a target.
    recovery = (
        []
        if moment is None
        else [
            "--type=time",
            f"--target={moment.isoformat(sep=' ')}",
            "--target-action=promote",
        ]
    )
    # A cluster's repository host names the database hosts as pg1..pgN, and pgBackRest
    # restores only into a local pg1 (it refuses pg1-host-port and the like on the command
    # line): this restore reads the repository's settings without the database hosts.
    local: list[str] = []
    if not live:
        config = f"--config={repository_only_config(CONFIG, SCRATCH_ROOT / name)}"
        # The WAL the scratch copy replays is fetched with the same settings (and pg1 named,
        # as archive-get requires).
        fetch = (
            f"{PGBACKREST} {config} --stanza={target.stanza} --pg1-path={data_dir} "
            'archive-get %f "%p"'
        )
        local = [config, f"--recovery-option=restore_command={fetch}"]
    log = SCRATCH_ROOT / f"{name}.log"
    try:
        _pgbackrest(
            target,
            f"--pg1-path={data_dir}",
            *local,
            *recovery,
            "--archive-mode=off",  # the scratch copy must never push WAL into the repository
            "restore",
        )
        _scratch_config(data_dir)
        started = subprocess.run(
            [
                str(_bin_dir(data_dir) / "pg_ctl"),
                "-D",
                str(data_dir),
                "-l",
                str(log),
                "-w",
                "-t",
                str(int(timeout_s)),
                "start",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if started.returncode != 0:
            raise BackupError(
                f"the scratch cluster did not start: {started.stdout}{started.stderr}"
            )
        _wait_promoted(data_dir, target.database, timeout_s)
    except BackupError as failed:
        tail = log.read_text().splitlines()[-15:] if log.exists() else []
        drop(name)
        raise BackupError("\n".join([str(failed), *tail, f"(removed {data_dir})"])) from None
    return data_dir


def drop(name: str) -> bool:
    """Stops a scratch cluster and removes it; False if there was none."""
    data_dir = scratch_dir(name)
    (SCRATCH_ROOT / f"{name}.pgbackrest.conf").unlink(missing_ok=True)
    if not data_dir.exists():
        return False
    if (data_dir / "postmaster.pid").exists() and (data_dir / "PG_VERSION").exists():
        subprocess.run(
            [str(_bin_dir(data_dir) / "pg_ctl"), "-D", str(data_dir), "-w", "-m", "fast", "stop"],
            capture_output=True,
            check=False,
        )
    shutil.rmtree(data_dir)
    (SCRATCH_ROOT / f"{name}.log").unlink(missing_ok=True)
    return True
