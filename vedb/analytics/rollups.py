"""The rollup tables (migrations 0016-0017, 0028) and the calls that rebuild or catch them up.

Ingest queues new events (analytics.event_queue), and analytics.fold_pending() folds them
into the event rollups: the API calls it every second, and :func:`refresh` does too. Triggers
keep the learning rollups current in every writing transaction, and a deleted or rewritten
event's statement folds its students out and in again (migration 0030). What none of them can
fold in (a changed role or signup time, a TRUNCATE of the log) is queued in
analytics.rollup_stale, and :func:`refresh` rebuilds the event rollups while that queue is not
empty.
"""

from __future__ import annotations

import time
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
)


@dataclass(frozen=True)
class RefreshResult:
    kind: str  # "full", "catch-up" or "none"
    queued: int  # stale entries that were waiting
    folded: int  # queued new events folded in
    points_corrected: int  # users whose points disagreed with the ledger (full only)
    seconds: float
    last_full: datetime | None


def refresh(conn: psycopg.Connection[Any], *, full: bool) -> RefreshResult:
    """Rebuilds every rollup (``full``); else folds the queued events in, then rebuilds the
    event rollups if a change that cannot be folded is queued."""
    started = time.perf_counter()
    folded = corrected = 0
    with conn.transaction():
        queued = _scalar(conn, "SELECT count(*) FROM analytics.rollup_stale")
        if full:
            conn.execute("SELECT analytics.rebuild_rollups()")  # reads queued events too
            # The leaderboard's rollup: learning.users.points, the ledger's sum (0024).
            corrected = _scalar(conn, "SELECT gamification.rebuild_user_points()")
        else:
            folded = _scalar(conn, "SELECT analytics.fold_pending()")
            if queued:
                conn.execute("SELECT analytics.catch_up_rollups()")
    last = conn.execute(
        "SELECT max(finished_at) FROM analytics.rollup_runs WHERE kind = 'full'"
    ).fetchone()
    kind = "full" if full else ("catch-up" if queued else "none")
    seconds = time.perf_counter() - started
    return RefreshResult(kind, int(queued), folded, corrected, seconds, last[0] if last else None)


def _scalar(conn: psycopg.Connection[Any], query: str) -> int:
    row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


async def refresh_and_invalidate(url: str, settings: Settings, *, full: bool) -> RefreshResult:
    """:func:`refresh`, then the cached answers that read a rebuilt table miss."""
    with psycopg.connect(url, autocommit=True) as conn:
        result = refresh(conn, full=full)
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
