"""Throwaway servers from local binaries, each in a temp dir of its own, on a free port."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from vedb.stack.binaries import (
    PG_INSTALL_HINT,
    REDIS_INSTALL_HINT,
    RunAs,
    postgres_bin_dir,
    redis_server_binary,
    run_as,
)
from vedb.stack.servers import Server, StackError, free_port, new_password

START_ATTEMPTS = 3  # a free port can be taken between probing and binding
STOP_TIMEOUT_S = 30.0

# Throwaway servers trade durability for speed; nothing here outlives `stack down`.
PG_SERVER_OPTIONS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    # Nothing replicates from a throwaway server: COPY into a table truncated in the same
    # transaction then writes no WAL at all (the seed and pgbench -i both load that way).
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_wal_size": "4GB",
    "shared_buffers": "512MB",
    "shared_preload_libraries": "pg_stat_statements",
}


def _run(cmd: list[str], user: RunAs) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": tempfile.gettempdir(), "LC_ALL": "C.UTF-8"}
    if not user.switches:
        return subprocess.run(cmd, check=False, capture_output=True, text=True, env=env)
    return subprocess.run(
        cmd,
        check=False,
        capture_output=True,
        text=True,
        env=env,
        user=user.uid,
        group=user.gid,
        extra_groups=[],
    )


def _workdir(prefix: str, user: RunAs) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    if user.switches:
        os.chown(path, user.uid, user.gid)
    return path


def _fail(what: str, proc: subprocess.CompletedProcess[str], log: Path | None = None) -> StackError:
    detail = (proc.stderr or proc.stdout).strip()
    if log is not None and log.exists():
        detail += "\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:])
    return StackError(f"{what} failed (exit {proc.returncode}):\n{detail}")


def _initdb(bin_dir: Path, workdir: Path, password: str, user: RunAs) -> None:
    """A fresh cluster in workdir/data, its superuser's password read from a file."""
    pwfile = workdir / "pwfile"
    pwfile.write_text(password + "\n")
    if user.switches:
        os.chown(pwfile, user.uid, user.gid)
    data = workdir / "data"
    initdb = _run(
        [
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--pwfile",
            str(pwfile),
            "-A",
            "scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            # Byte-order text sorting: index builds on text keys run several times faster.
            "--lc-collate=C",
            "--no-sync",
        ],
        user,
    )
    pwfile.unlink()
    if initdb.returncode != 0:
        raise _fail("initdb", initdb)


def _pg_ctl_start(
    bin_dir: Path, workdir: Path, port: int, user: RunAs, extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Starts the cluster in workdir/data on ``port``, its socket and log in workdir."""
    settings = {**PG_SERVER_OPTIONS, **(extra or {})}
    options = " ".join(f"-c {key}={value}" for key, value in settings.items())
    return _run(
        [
            str(bin_dir / "pg_ctl"),
            "-D",
            str(workdir / "data"),
            "-l",
            str(workdir / "postgres.log"),
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {port} -k {workdir} {options}",
            "start",
        ],
        user,
    )


def start_local_postgres(extra_options: dict[str, str] | None = None) -> Server:
    """A throwaway PostgreSQL; ``extra_options`` override PG_SERVER_OPTIONS (a test that needs
    e.g. archiving; :func:`resume_local` restarts without them)."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise StackError(f"No PostgreSQL server binaries (initdb, pg_ctl): {PG_INSTALL_HINT}.")
    user = run_as()
    workdir = _workdir("vedb-pg-", user)
    password = new_password()
    try:
        _initdb(bin_dir, workdir, password, user)
        for _ in range(START_ATTEMPTS):
            port = free_port()
            started = _pg_ctl_start(bin_dir, workdir, port, user, extra_options)
            if started.returncode == 0:
                url = f"postgresql://postgres:{password}@127.0.0.1:{port}/postgres"
                return Server("postgres", url, "local", workdir=str(workdir))
        raise _fail("pg_ctl start", started, workdir / "postgres.log")
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise


def start_local_redis(port: int | None = None, password: str | None = None) -> Server:
    """A throwaway Redis; a given port and password bring one back where another stopped."""
    binary = redis_server_binary()
    if binary is None:
        raise StackError(f"No redis-server binary found: {REDIS_INSTALL_HINT}.")
    user = run_as()
    workdir = _workdir("vedb-redis-", user)
    password = password or new_password()
    fixed_port = port
    try:
        for _ in range(START_ATTEMPTS):
            port = fixed_port or free_port()
            log = workdir / "redis.log"
            started = _run(
                [
                    str(binary),
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--daemonize",
                    "yes",
                    "--dir",
                    str(workdir),
                    "--pidfile",
                    str(workdir / "redis.pid"),
                    "--logfile",
                    str(log),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--requirepass",
                    password,
                ],
                user,
            )
            if started.returncode == 0 and _wait_for_pidfile(workdir / "redis.pid", port):
                url = f"redis://:{password}@127.0.0.1:{port}/0"
                return Server("redis", url, "local", workdir=str(workdir))
        raise _fail("redis-server", started, log)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise


def _wait_for_pidfile(pidfile: Path, port: int, timeout_s: float = 10.0) -> bool:
    """redis-server daemonizes before it binds; wait until it accepts connections."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pidfile.exists():
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return True
            except OSError:
                pass
        time.sleep(0.05)
    return False


def server_pid(workdir: str, kind: str) -> int | None:
    """The pid a local server's pidfile names (the first line, for both), or None."""
    pidfile = Path(workdir) / ("data/postmaster.pid" if kind == "postgres" else "redis.pid")
    try:
        return int(pidfile.read_text().splitlines()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None


def pause_local(server: Server) -> None:
    """Stops a local PostgreSQL but keeps its data, for :func:`resume_local` (fault tests)."""
    assert server.kind == "postgres" and server.workdir is not None
    pid = server_pid(server.workdir, server.kind)
    if pid is not None:
        _terminate(pid, signal.SIGINT)


def resume_local(server: Server) -> None:
    """Starts a paused local PostgreSQL again, on the same port, with the same data."""
    assert server.kind == "postgres" and server.workdir is not None
    bin_dir = postgres_bin_dir()
    assert bin_dir is not None
    workdir = Path(server.workdir)
    port = server.url.rsplit(":", 1)[1].split("/")[0]
    started = _pg_ctl_start(bin_dir, workdir, int(port), run_as())
    if started.returncode != 0:
        raise _fail("pg_ctl start", started, workdir / "postgres.log")


def stop_local(server: Server) -> None:
    """Stops the server in ``server.workdir`` and deletes the directory."""
    if server.workdir is None:
        return
    workdir = Path(server.workdir)
    pid = server_pid(server.workdir, server.kind)
    if pid is not None:
        # SIGINT is PostgreSQL's "fast" shutdown; SIGTERM is Redis's clean one.
        _terminate(pid, signal.SIGINT if server.kind == "postgres" else signal.SIGTERM)
    shutil.rmtree(workdir, ignore_errors=True)


def _terminate(pid: int, sig: signal.Signals) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        if not alive(pid):
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)


def alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie counts as gone (not every PID 1 reaps orphans)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
