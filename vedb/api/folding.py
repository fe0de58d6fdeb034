"""Folds queued events into the rollups, every VEDB_FOLD_INTERVAL_S, in each API worker.

Ingest only queues the ids of new events (migration 0023); folding them in at intervals groups
each student's events into one row per rollup, which costs far less than a fold per batch.
Every worker runs the loop, and analytics.fold_pending(false) lets one fold at a time while the
others skip that tick. A failure (PostgreSQL down or restarting) is logged and retried on the
next tick, so the loop outlives any outage.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

log = logging.getLogger("vedb.fold")
# A backlog (events that arrived while no API ran) can be far larger than a tick's worth: each
# tick folds at most MAX_EVENTS (about a second of work on 2 cores) under its own timeout.
MAX_EVENTS = 50_000
FOLD = f"SELECT analytics.fold_pending(false, {MAX_EVENTS})"
FOLD_TIMEOUT = "SET LOCAL statement_timeout = '60s'"
QUIET_S = 60.0  # while the same failure repeats, log it at most this often


async def fold_once(pool: AsyncConnectionPool[Any]) -> int:
    """Events folded in this call; 0 when another worker was folding."""
    async with pool.connection() as conn, conn.transaction():
        await conn.execute(FOLD_TIMEOUT)
        row = await (await conn.execute(FOLD)).fetchone()
    return int(row[0]) if row else 0


async def fold_forever(pool: AsyncConnectionPool[Any], interval_s: float) -> None:
    last_logged: tuple[str, float] = ("", 0.0)
    while True:
        await asyncio.sleep(interval_s)
        try:
            await fold_once(pool)
        except (psycopg.Error, PoolTimeout) as exc:
            message, now = str(exc).strip(), time.monotonic()
            if message != last_logged[0] or now - last_logged[1] >= QUIET_S:
                log.warning("folding queued events into the rollups failed: %s", message)
                last_logged = (message, now)


@asynccontextmanager
async def folding(pool: AsyncConnectionPool[Any], interval_s: float) -> AsyncIterator[None]:
    """Runs :func:`fold_forever` for the lifetime of the app; interval 0 turns it off."""
    task = asyncio.create_task(fold_forever(pool, interval_s)) if interval_s > 0 else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
