"""Erasure of one user (the right to be forgotten): analytics.forget_user() (migration 0027)
deletes the user and every row of theirs, and takes them out of the rollups in the same
transaction, without a rebuild. A dry run does all of it and rolls back, so its counts are
exactly what the real run deletes. Afterwards every cached answer misses: one may name them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import psycopg

from vedb.analytics.cache import QueryCache, redis_client
from vedb.settings import Settings

FORGET = "SELECT analytics.forget_user(%s)"
# What forget_user raises for a user it cannot forget; anything else is a database error.
REFUSALS = (psycopg.errors.NoDataFound, psycopg.errors.ForeignKeyViolation)


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


def _checked(user_id: int) -> int:
    if user_id <= 0:
        raise ForgetError(f"the user id must be positive, not {user_id}")
    return user_id


def _counts(row: tuple[Any, ...] | None) -> dict[str, int]:
    return {str(k): int(v) for k, v in (row[0] if row else {}).items()}


def _refused(exc: psycopg.Error) -> ForgetError:
    return ForgetError(str(exc.diag.message_primary or exc).strip())


def forget(conn: psycopg.Connection[Any], user_id: int, *, dry_run: bool = False) -> Forgotten:
    """Forgets ``user_id`` in one transaction of its own (rolled back when ``dry_run``)."""
    started = time.perf_counter()
    try:
        with conn.transaction():
            deleted = _counts(conn.execute(FORGET, (_checked(user_id),)).fetchone())
            if dry_run:
                raise psycopg.Rollback
    except REFUSALS as exc:
        raise _refused(exc) from None
    return Forgotten(user_id, deleted, dry_run, time.perf_counter() - started)


async def forget_async(
    conn: psycopg.AsyncConnection[Any], user_id: int, *, dry_run: bool = False
) -> Forgotten:
    """:func:`forget` on an async connection (the API's)."""
    started = time.perf_counter()
    try:
        async with conn.transaction():
            cursor = await conn.execute(FORGET, (_checked(user_id),))
            deleted = _counts(await cursor.fetchone())
            if dry_run:
                raise psycopg.Rollback
    except REFUSALS as exc:
        raise _refused(exc) from None
    return Forgotten(user_id, deleted, dry_run, time.perf_counter() - started)


async def forget_and_invalidate(
    url: str, settings: Settings, user_id: int, *, dry_run: bool
) -> Forgotten:
    """:func:`forget`, then every cached answer misses (the CLI's path)."""
    with psycopg.connect(url, autocommit=True) as conn:
        result = forget(conn, user_id, dry_run=dry_run)
    if not dry_run and settings.redis_url:
        client = redis_client(settings.redis_url, settings.redis_timeout_s)
        try:
            await QueryCache(client).invalidate()
        finally:
            await client.aclose()
    return result
