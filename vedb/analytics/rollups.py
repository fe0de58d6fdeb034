"""The rollup tables (migrations 0016-0017, 0028, 0037) and the calls that rebuild or catch them up.

Ingest queues new events (analytics.event_queue), and analytics.fold_pending() folds them
into the event rollups: the API calls it every second, and :func:`refresh` does too. Triggers
keep the learning rollups current in every writing transaction, and a deleted or rewritten
event's statement folds its students out and in again (migration 0030), and a changed role or
signup time moves the student's counters (0041). What none of them can fold in (a TRUNCATE of
the log, a cascade from a deleted user) is queued in
analytics.rollup_stale, and :func:`refresh` rebuilds the event rollups while that queue is not
empty.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from vedb.analytics.cache import QueryCache, redis_client
from vedb.settings import Settings

# Every table a rewritten query reads instead of the raw ones; tests check it against the
# migrations, so a new rollup cannot be left out of the rebuild's ANALYZE or the cache.
ROLLUP_TABLES = (
    "analytics.user_day_activity",
    "analytics.active_students_by_day",
    "analytics.active_students_by_month",
    "analytics.cohort_week_activity",
    "analytics.user_sessions",
    "analytics.course_learners",
    "analytics.course_learner_days",
    "analytics.course_day_activity",
    "analytics.lesson_learners",
    "analytics.course_activity",
    "analytics.lesson_activity",
    "analytics.user_activity",
    "analytics.enrollment_summary",
    "analytics.lesson_progress",
    "analytics.course_stops",
    "analytics.course_progress",
    "analytics.student_summary",
    "analytics.student_groups",
    "analytics.cohort_sizes",
    "analytics.level_progress",
)


@dataclass(frozen=True)
class RefreshResult:
    kind: str  # "full", "catch-up" or "none"
    queued: int  # stale entries that were waiting
    folded: int  # queued new events folded in
    points_corrected: int  # users whose points disagreed with the ledger (full only)
    seconds: float
    last_full: datetime | None
    partitions_made: int = 0  # the event log's next months, made ahead of ingest
    partitions_dropped: tuple[str, ...] = ()  # months past events_retention_months
    months_reordered: tuple[Reordered, ...] = ()  # ended months, now ordered by student


@dataclass(frozen=True)
class Reordered:
    partition: str
    seconds: float


def refresh(
    conn: psycopg.Connection[Any],
    *,
    full: bool,
    retention_months: int | None = None,
    discard_dropped_history: bool = False,
    reorder_months: int = 1,
    on_reorder: Callable[[str], None] | None = None,
) -> RefreshResult:
    """Rebuilds every rollup (``full``); else folds the queued events in, then rebuilds the
    event rollups if a change that cannot be folded is queued. Then makes the event log's next
    partitions, drops the months past ``retention_months``, and reorders up to
    ``reorder_months`` ended months by student. After retention dropped months, a rebuild
    refuses unless ``discard_dropped_history`` (their history would go)."""
    started = time.perf_counter()
    folded = corrected = 0
    if full:
        queued = _rebuild(conn, discard_dropped_history)
        with conn.transaction():
            # The leaderboard's rollup: learning.users.points, the ledger's sum (0024). Apart,
            # so a point awarded during the rebuild does not fail its single snapshot.
            corrected = _scalar(conn, "SELECT gamification.rebuild_user_points()")
    else:
        with conn.transaction():
            if discard_dropped_history:
                conn.execute("SET LOCAL vedb.discard_dropped_history = 'on'")
            queued = _scalar(conn, "SELECT count(*) FROM analytics.rollup_stale")
            folded = _scalar(conn, "SELECT analytics.fold_pending()")
            if queued:
                conn.execute("SELECT analytics.catch_up_rollups()")
    last = conn.execute(
        "SELECT max(finished_at) FROM analytics.rollup_runs WHERE kind = 'full'"
    ).fetchone()
    kind = "full" if full else ("catch-up" if queued else "none")
    made = maintain_partitions(conn)
    dropped = drop_old_partitions(conn, retention_months) if retention_months else ()
    # The reordering times itself per month: `seconds` is the catch-up or rebuild's own.
    seconds = time.perf_counter() - started
    reordered = reorder_ended_months(conn, reorder_months, on_month=on_reorder)
    return RefreshResult(
        kind,
        int(queued),
        folded,
        corrected,
        seconds,
        last[0] if last else None,
        made,
        dropped,
        reordered,
    )


def _rebuild(conn: psycopg.Connection[Any], discard_dropped_history: bool) -> int:
    """Every rollup from the sources, in one snapshot; returns the stale entries it cleared.

    Ingest goes on meanwhile (migration 0033): events committed after the snapshot stay
    queued and fold once it commits. The rollups' lock is taken before the snapshot, so no
    fold can commit between the two; folds skip while it is held.
    """
    if not conn.autocommit:
        raise ValueError(
            "a full refresh needs an autocommit connection: it runs its own transactions"
        )
    if not _has_function(conn, "analytics.hold_rollups()"):  # before migration 0033
        with conn.transaction():
            if discard_dropped_history:
                conn.execute("SET LOCAL vedb.discard_dropped_history = 'on'")
            queued = _scalar(conn, "SELECT count(*) FROM analytics.rollup_stale")
            conn.execute("SELECT analytics.rebuild_rollups()")
        return queued
    conn.execute("SELECT analytics.hold_rollups()")
    try:
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            if discard_dropped_history:
                conn.execute("SET LOCAL vedb.discard_dropped_history = 'on'")
            queued = _scalar(conn, "SELECT count(*) FROM analytics.rollup_stale")
            conn.execute("SELECT analytics.rebuild_rollups()")  # reads queued events too
    finally:
        conn.execute("SELECT analytics.release_rollups()")
    return queued


def _has_function(conn: psycopg.Connection[Any], signature: str) -> bool:
    row = conn.execute("SELECT to_regprocedure(%s) IS NOT NULL", (signature,)).fetchone()
    return bool(row and row[0])


def drop_old_partitions(conn: psycopg.Connection[Any], months: int) -> tuple[str, ...]:
    """Drops the event log's partitions of the months before the current one and the
    ``months`` before it (migration 0032); the rollups keep what they counted."""
    with conn.transaction():
        exists = "SELECT to_regprocedure('analytics.drop_event_partitions(integer)')"
        if conn.execute(exists).fetchone() == (None,):
            return ()
        conn.execute("SET LOCAL lock_timeout = '2s'")
        row = conn.execute("SELECT analytics.drop_event_partitions(%s)", (months,)).fetchone()
        return tuple(row[0]) if row else ()


def maintain_partitions(conn: psycopg.Connection[Any]) -> int:
    """Makes the event log's monthly partitions (migration 0031) from 12 months ago to 3 months
    on that do not exist yet, so ingest never meets a month without one; 0 on a log that is
    not partitioned. A new partition briefly locks the whole log, and ingest waits at most
    lock_timeout for it: a later refresh tries again, with months to spare."""
    with conn.transaction():
        exists = "SELECT to_regprocedure('analytics.maintain_event_partitions(integer, integer)')"
        if conn.execute(exists).fetchone() == (None,):
            return 0
        conn.execute("SET LOCAL lock_timeout = '2s'")
        return _scalar(conn, "SELECT analytics.maintain_event_partitions()")


def reorder_ended_months(
    conn: psycopg.Connection[Any],
    limit: int,
    *,
    settled: str = "1 day",
    on_month: Callable[[str], None] | None = None,
) -> tuple[Reordered, ...]:
    """CLUSTERs up to ``limit`` months of the event log that ended ``settled`` ago or more and
    are still in arrival order (migration 0034), newest first, one transaction each, so that
    each student's events of a month share a few pages. Each holds its month's partition
    exclusively while it runs; a month another session holds is left for a later run."""
    if limit <= 0 or not _has_function(conn, "analytics.reorder_event_month(regclass)"):
        return ()
    months = conn.execute(
        "SELECT month_partition::text FROM analytics.event_months_to_reorder(%s::interval)"
        " LIMIT %s",
        (settled, limit),
    ).fetchall()
    done = []
    for (partition,) in months:
        if on_month:
            on_month(partition)
        started = time.perf_counter()
        try:
            with conn.transaction():
                conn.execute("SET LOCAL lock_timeout = '2s'")
                # Minutes for a month of a big log: bounded by the month, not by a clock.
                conn.execute("SET LOCAL statement_timeout = 0")
                conn.execute("SELECT analytics.reorder_event_month(%s::regclass)", (partition,))
        except psycopg.errors.LockNotAvailable:
            continue
        done.append(Reordered(partition, time.perf_counter() - started))
    return tuple(done)


def _scalar(conn: psycopg.Connection[Any], query: str) -> int:
    row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


async def refresh_and_invalidate(
    url: str,
    settings: Settings,
    *,
    full: bool,
    discard_dropped_history: bool = False,
    reorder_months: int = 1,
    on_reorder: Callable[[str], None] | None = None,
) -> RefreshResult:
    """:func:`refresh`, then the cached answers that read a rebuilt table miss."""
    with psycopg.connect(url, autocommit=True) as conn:
        result = refresh(
            conn,
            full=full,
            retention_months=settings.events_retention_months,
            discard_dropped_history=discard_dropped_history,
            reorder_months=reorder_months,
            on_reorder=on_reorder,
        )
    if result.kind != "none" and settings.redis_url:
        client = redis_client(settings.redis_url, settings.redis_timeout_s)
        try:
            rebuilt = (
                (*ROLLUP_TABLES, "learning.users") if result.points_corrected else ROLLUP_TABLES
            )
            await QueryCache(client).invalidate(rebuilt)
        finally:
            await client.aclose()
    return result
