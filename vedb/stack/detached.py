"""The stack behind `vedb stack up`/`down`: outlives the CLI, remembered in a state file."""

from __future__ import annotations

import psycopg
from psycopg import sql

from vedb.databases import with_database
from vedb.settings import Settings
from vedb.stack.local import alive, server_pid
from vedb.stack.stack import Stack, start_stack

APP_DATABASE = "vedb"


def app_database_url(stack: Stack) -> str:
    return with_database(stack.postgres.url, APP_DATABASE)


def running_stack(settings: Settings) -> Stack | None:
    """The stack recorded by `vedb stack up`, if its local servers are still running."""
    stack = Stack.load(settings.stack_state_file)
    if stack is None:
        return None
    for server in stack.servers:
        if server.source == "local" and not _local_server_alive(server.workdir):
            return None
    return stack


def _local_server_alive(workdir: str | None) -> bool:
    if workdir is None:
        return False
    for kind in ("postgres", "redis"):
        pid = server_pid(workdir, kind)
        if pid is not None:
            return alive(pid)
    return False


def up(settings: Settings) -> tuple[Stack, bool]:
    """Starts the stack unless one is running; returns it and whether it was started now."""
    existing = running_stack(settings)
    if existing is not None:
        return existing, False
    if settings.stack_state_file.exists():
        # A stale record (e.g. after a reboot): clean what is left before starting anew.
        down(settings)
    stack = start_stack(settings)
    try:
        with psycopg.connect(stack.postgres.url, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (APP_DATABASE,)
            ).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(APP_DATABASE)))
        stack.save(settings.stack_state_file)
    except BaseException:
        stack.stop()
        raise
    return stack, True


def down(settings: Settings) -> Stack | None:
    """Stops the recorded stack and deletes its temp dirs and state file; None if none."""
    stack = Stack.load(settings.stack_state_file)
    if stack is None:
        return None
    stack.stop()  # raises StackError, keeping the state file, if something could not stop
    settings.stack_state_file.unlink(missing_ok=True)
    return stack
