"""Erasure of one user (the right to be forgotten): analytics.forget_user() (migration 0027)
deletes the user and every row of theirs, and takes them out of the rollups in the same
transaction, without a rebuild. A dry run does all of it and rolls back, so its counts are
exactly what the real run deletes."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import psycopg


class ForgetError(ValueError):
    """The user cannot be forgotten; the message says why."""


@dataclass(frozen=True)
class Forgotten:
    user_id: int
    deleted: dict[str, int]  # rows per table
    dry_run: bool
    seconds: float

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


class _DryRun(Exception):
    pass


def forget(conn: psycopg.Connection[Any], user_id: int, *, dry_run: bool = False) -> Forgotten:
    """Forgets ``user_id`` in one transaction of its own (rolled back when ``dry_run``)."""
    if user_id <= 0:
        raise ForgetError(f"--user must be a positive user id, not {user_id}")
    started = time.perf_counter()
    deleted: dict[str, int] = {}
    try:
        with conn.transaction():
            row = conn.execute("SELECT analytics.forget_user(%s)", (user_id,)).fetchone()
            deleted = {str(k): int(v) for k, v in (row[0] if row else {}).items()}
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    except (psycopg.errors.NoDataFound, psycopg.errors.ForeignKeyViolation) as exc:
        raise ForgetError(str(exc.diag.message_primary or exc).strip()) from None
    return Forgotten(user_id, deleted, dry_run, time.perf_counter() - started)
