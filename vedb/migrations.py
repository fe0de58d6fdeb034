"""Applies and rolls back the yoyo migrations in ``migrations/`` from Python.

The same files and the same yoyo backend as `yoyo apply` from the repository root, so the
tests prove exactly what operators run.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yoyo import get_backend, read_migrations

from vedb.settings import Settings


@dataclass(frozen=True)
class MigrationStatus:
    id: str
    applied: bool


@contextmanager
def _yoyo(database_url: str, migrations_dir: Path | None) -> Iterator[tuple[Any, Any]]:
    source = migrations_dir or Settings().migrations_dir
    if not source.is_dir():
        raise FileNotFoundError(f"no migrations directory at {source}")
    backend = get_backend(database_url)
    try:
        yield backend, read_migrations(str(source))
    finally:
        backend.connection.close()


def apply_all(database_url: str, migrations_dir: Path | None = None) -> list[str]:
    """Applies every pending migration (then post-apply.sql); returns the ids applied."""
    with _yoyo(database_url, migrations_dir) as (backend, migrations), backend.lock():
        pending = backend.to_apply(migrations)
        # yoyo prints the rows of every SELECT a migration runs (0019's first rebuild): noise
        # in the middle of `vedb seed`, `vedb bench` or `vedb demo` output.
        with redirect_stdout(io.StringIO()):
            backend.apply_migrations(pending)
        return [m.id for m in pending]


def rollback_all(database_url: str, migrations_dir: Path | None = None) -> list[str]:
    """Rolls back every applied migration, newest first; returns the ids rolled back."""
    with _yoyo(database_url, migrations_dir) as (backend, migrations), backend.lock():
        applied = backend.to_rollback(migrations)
        backend.rollback_migrations(applied)
        return [m.id for m in applied]


def status(database_url: str, migrations_dir: Path | None = None) -> list[MigrationStatus]:
    with _yoyo(database_url, migrations_dir) as (backend, migrations):
        applied = set(backend.get_applied_migration_hashes())
        return [MigrationStatus(m.id, m.hash in applied) for m in migrations]


def head(database_url: str, migrations_dir: Path | None = None) -> str | None:
    """The newest applied migration id, or None on an unmigrated database."""
    applied = [s.id for s in status(database_url, migrations_dir) if s.applied]
    return applied[-1] if applied else None
