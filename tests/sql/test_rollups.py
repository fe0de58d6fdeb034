"""The rollup queries answer exactly what the raw-table references answer.

On the demo and load seeds as seeded; again after events arrive through the API (late ones,
today's, new users' first ones) and the triggers fold them in; again after deletes, rewrites
and role changes, each folded by its own statement; and after `vedb refresh` catches up. Also: no rewritten query scans the event
log, and no window depends on the session's time zone.
"""

from __future__ import annotations

import json
import random
import re
import time
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.api.conftest import INGEST, serving
from tests.conftest import seeded_database
from vedb.analytics import rollups
from vedb.analytics.catalog import Query, load_catalog
from vedb.analytics.params import validate
from vedb.settings import Settings
from vedb.stack import Stack

SETTINGS = Settings()
ROLLUP = load_catalog(SETTINGS.queries_dir)
RAW = load_catalog(SETTINGS.queries_dir / "raw")
# Zones with daylight saving on both hemispheres, and one without.
TABLE_IN_SQL = re.compile(r"\b((?:learning|analytics|gamification|social)\.[a-z_]+)\b(?!\()")
ZONES = ("UTC", "America/New_York", "Australia/Sydney", "Asia/Ho_Chi_Minh")


def param_sets(conn: psycopg.Connection[Any]) -> list[tuple[str, dict[str, object]]]:
    """Every query with its defaults, plus ids and bounds that reach the edge cases."""
    heavy_user, light_user = conn.execute(
        "SELECT (SELECT user_id FROM analytics.behavior_log GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1),"
        " (SELECT max(id) FROM learning.users)"
    ).fetchone() or (1, 1)
    course = conn.execute(
        "SELECT course_id FROM learning.enrollments GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    ).fetchone()
    course_id = course[0] if course else 1
    sets: list[tuple[str, dict[str, object]]] = []
    for name, query in sorted(ROLLUP.items()):
        if not any(p.required for p in query.params):
            sets.append((name, {}))
    sets += [
        ("daily_active_users", {"days": 365}),
        ("monthly_active_users", {"months": 24}),
        ("engagement_stickiness", {"days": 90}),
        ("cohort_retention", {"weeks": 52}),
        ("learning_funnel", {"course_id": course_id}),
        ("top_courses", {"limit": 100}),
        ("at_risk_students", {"inactive_days": 1, "limit": 1000}),
        ("at_risk_students", {"inactive_days": 60, "limit": 7}),
        # A full saturated list that bounds the per-day lists, and none at all.
        ("at_risk_students", {"inactive_days": 3, "limit": 5}),
        ("at_risk_students", {"inactive_days": 365, "limit": 1000}),
        ("course_engagement_metrics", {"course_id": course_id}),
        ("lesson_dropoff", {"course_id": course_id}),
        ("student_behavior_pattern", {"user_id": heavy_user}),
        ("student_behavior_pattern", {"user_id": light_user}),
    ]
    return sets


def rows(conn: psycopg.Connection[Any], query: Query, raw: dict[str, object]) -> list[Any]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query.sql, validate(query, raw)).fetchall()


# The rollups of rollups (migrations 0028, 0037), each against a GROUP BY of its source.
DERIVED = {
    "analytics.student_groups": (
        # As text: '-infinity' (no event yet) is no Python date.
        "SELECT gamified, last_active_day::text, students, enrollments, completed_courses,"
        " completed_lessons FROM analytics.student_groups ORDER BY gamified, last_active_day",
        "SELECT gamified, day::text, count(*), sum(enrolled_courses), sum(completed_courses),"
        " sum(completed_lessons) FROM (SELECT *, coalesce((last_active_at AT TIME ZONE 'UTC')"
        "::date, '-infinity') AS day FROM analytics.student_summary) AS s"
        " GROUP BY gamified, day ORDER BY gamified, day",
    ),
    "analytics.course_learner_days": (
        "SELECT course_id, last_active_day, learners FROM analytics.course_learner_days"
        " ORDER BY 1, 2",
        "SELECT course_id, last_active_day, count(*) FROM analytics.course_learners"
        " GROUP BY 1, 2 ORDER BY 1, 2",
    ),
    "analytics.cohort_sizes": (
        "SELECT cohort_week, students FROM analytics.cohort_sizes ORDER BY 1",
        "SELECT date_trunc('week', created_at AT TIME ZONE 'UTC')::date, count(*)"
        " FROM learning.users WHERE role = 'STUDENT' GROUP BY 1 ORDER BY 1",
    ),
    "analytics.level_progress": (
        "SELECT level, is_published, courses, enrollments, completed"
        " FROM analytics.level_progress ORDER BY 1, 2",
        "SELECT c.level, c.is_published, count(*), coalesce(sum(p.enrollments), 0),"
        " coalesce(sum(p.completed), 0) FROM learning.courses AS c"
        " LEFT JOIN analytics.course_progress AS p ON p.course_id = c.id"
        " GROUP BY 1, 2 ORDER BY 1, 2",
    ),
}


def missing_tables(conn: psycopg.Connection[Any], tables: Iterable[str]) -> set[str]:
    """Those of ``tables`` a database rolled back to an earlier migration does not have."""
    return {t for t in tables if conn.execute("SELECT to_regclass(%s)", (t,)).fetchone() == (None,)}


def assert_derived_rollups_exact(conn: psycopg.Connection[Any]) -> None:
    missing = missing_tables(conn, DERIVED)
    for table, (kept, recomputed) in DERIVED.items():
        if table not in missing:
            assert conn.execute(kept).fetchall() == conn.execute(recomputed).fetchall(), table


def assert_rollups_equal_raw(url: str) -> int:
    """Every query against its raw reference; where the database was rolled back before a
    rollup a query reads, that query is left out."""
    with psycopg.connect(url, autocommit=True) as conn:
        assert_derived_rollups_exact(conn)
        missing = missing_tables(conn, {t for q in ROLLUP.values() for t in q.reads})
        checked = 0
        for name, params in param_sets(conn):
            if missing.intersection(ROLLUP[name].reads):
                continue
            expected = rows(conn, RAW[name], params)
            assert rows(conn, ROLLUP[name], params) == expected, (name, params)
            checked += 1
        return checked


def test_every_query_has_a_raw_reference_of_the_same_version() -> None:
    assert set(RAW) == set(ROLLUP)
    for name, query in ROLLUP.items():
        assert (RAW[name].version, RAW[name].params) == (query.version, query.params), name


def test_reads_names_exactly_the_tables_the_sql_reads() -> None:
    for catalog in (ROLLUP, RAW):
        for name, query in catalog.items():
            # schema.name not followed by "(": a table or view, not a function.
            found = set(TABLE_IN_SQL.findall(query.sql))
            assert found == set(query.reads), name


def test_rollup_tables_are_the_ones_the_migrations_create(seeded_db: str) -> None:
    with psycopg.connect(seeded_db) as conn:
        found = {
            f"analytics.{r[0]}"
            for r in conn.execute(
                # Tables, not the event log's monthly partitions.
                "SELECT c.relname FROM pg_class AS c"
                " JOIN pg_namespace AS n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'analytics' AND c.relkind = 'r' AND NOT c.relispartition"
                " AND c.relname NOT IN ('rollup_stale', 'rollup_runs', 'event_queue', 'event_retention')"
            )
        }
    assert found == set(rollups.ROLLUP_TABLES)


def test_rollups_equal_raw_tables_as_seeded(seeded_db: str) -> None:
    assert assert_rollups_equal_raw(seeded_db) >= 20


# Rollups read by student (analytics.unfold_users: forget, deleted and rewritten events).
BY_STUDENT = ("user_day_activity", "course_learners", "lesson_learners", "user_sessions")


def test_the_rebuild_writes_the_student_rollups_in_student_order(seeded_db: str) -> None:
    """The seed's last step is the full rebuild: each student's rows share a few pages
    (0036), so taking a student out reads those and not one page per row."""
    with psycopg.connect(seeded_db) as conn:
        for table in BY_STUDENT:
            row = conn.execute(
                f"SELECT count(*) FILTER (WHERE before > user_id), count(*)"
                f" FROM (SELECT user_id, lag(user_id) OVER (ORDER BY ctid) AS before"
                f" FROM analytics.{table}) AS t"
            ).fetchone()
            assert row is not None and row[1] > 0 and row[0] == 0, (table, row)


def test_no_query_scans_the_event_log(load_db: str) -> None:
    with psycopg.connect(load_db, autocommit=True) as conn:
        for name, params in param_sets(conn):
            query = ROLLUP[name]
            plan = conn.execute(
                f"EXPLAIN (FORMAT JSON) {query.sql}", validate(query, params)
            ).fetchone()
            assert plan is not None
            text = json.dumps(plan[0])
            # The log or any of its monthly partitions (behavior_log_y2026m12, ...).
            assert '"Relation Name": "behavior_log' not in text, (name, params)


def test_windows_do_not_depend_on_the_session_time_zone(demo_db: str) -> None:
    # One transaction, rolled back: the session's shared demo database keeps its seed.
    with psycopg.connect(demo_db) as conn:
        # Events either side of where a local-time "30 days ago" would move the window.
        since = conn.execute(
            "SELECT ((now() AT TIME ZONE 'UTC')::date - 29)::timestamp AT TIME ZONE 'UTC'"
        ).fetchone()
        assert since is not None
        for minutes in (-90, -30, 30, 90):
            conn.execute(
                "INSERT INTO analytics.behavior_log (user_id, session_id, event_type, course_id,"
                " occurred_at) SELECT e.user_id, gen_random_uuid(), 'COURSE_VIEW', e.course_id,"
                " %s FROM learning.enrollments e ORDER BY 1, 2 LIMIT 3",
                (since[0] + timedelta(minutes=minutes),),
            )
        answers = {}
        for zone in ZONES:
            conn.execute("SELECT set_config('TimeZone', %s, false)", (zone,))
            answers[zone] = {
                (name, json.dumps(params)): rows(conn, catalog[name], params)
                for name, params in param_sets(conn)
                for catalog in (ROLLUP, RAW)
            }
        conn.rollback()
        assert all(answers[zone] == answers["UTC"] for zone in ZONES)


@pytest.fixture(scope="module", params=["demo", "load"])
def ingested_db(request: pytest.FixtureRequest, stack: Stack) -> Iterator[str]:
    yield from seeded_database(stack, request.param)


def live_events(conn: psycopg.Connection[Any], count: int) -> list[dict[str, Any]]:
    """Events as clients send them: today, late ones from past days, new users' first."""
    rng = random.Random(7)  # noqa: S311 -- test traffic, not secrets
    students = [
        r[0]
        for r in conn.execute("SELECT id FROM learning.users WHERE role = 'STUDENT' ORDER BY id")
    ]
    lessons = conn.execute(
        "SELECT e.user_id, l.course_id, l.id FROM learning.enrollments e"
        " JOIN learning.lessons l ON l.course_id = e.course_id ORDER BY 1, 2, 3 LIMIT 2000"
    ).fetchall()
    now = datetime.now(UTC)
    events = []
    for i in range(count):
        at = now - timedelta(
            days=rng.choice([0, 0, 0, 1, 3, 29, 31, 45, 90]), minutes=rng.randint(1, 600)
        )
        base = {
            "client_event_id": str(uuid.uuid4()),
            "session_id": str(uuid.uuid4()),
            "occurred_at": at.isoformat(),
        }
        if i % 3 == 0 and lessons:
            user, course, lesson = rng.choice(lessons)
            kind = rng.choice(["LESSON_START", "LESSON_COMPLETE", "VIDEO_PLAY", "QUIZ_SUBMIT"])
            events.append(
                {
                    **base,
                    "user_id": user,
                    "event_type": kind,
                    "course_id": course,
                    "lesson_id": lesson,
                }
            )
        else:
            # The newest students have the least history: their first days, weeks and months.
            user = rng.choice(students[-50:] if i % 2 else students)
            events.append({**base, "user_id": user, "event_type": "LOGIN"})
    return events


async def test_rollups_equal_raw_after_ingest_and_refresh(ingested_db: str, stack: Stack) -> None:
    settings = SETTINGS.model_copy(
        update={
            "database_url": ingested_db,
            "redis_url": stack.redis.url,
            "api_tokens": {"ingest-token": ["ingest"]},
            "fold_interval_s": 0,  # the refresh below folds them, all at once
        }
    )
    with psycopg.connect(ingested_db, autocommit=True) as conn:
        events = live_events(conn, 600)
        folded = 0
        async with serving(settings) as (_, client):
            for low in range(0, len(events), 50):  # batches, some sharing a user and a day
                response = await client.post(
                    "/api/events", json={"events": events[low : low + 50]}, headers=INGEST
                )
                assert response.status_code == 200 and response.json()["accepted"] == 50
                # Folds that end mid-batch and mid-student, as a capped fold does.
                row = conn.execute("SELECT analytics.fold_pending(true, 35)").fetchone()
                folded += row[0] if row else 0
        assert folded == 12 * 35
        result = rollups.refresh(conn, full=False)
        assert (result.kind, result.folded) == ("none", len(events) - folded)
    assert assert_rollups_equal_raw(ingested_db) >= 20

    # Deleted and rewritten events (some still queued) are folded out and in by their own
    # statements: no rebuild is queued, and the answers are right before any refresh.
    with psycopg.connect(ingested_db, autocommit=True) as conn:
        copy_last = (
            "INSERT INTO analytics.behavior_log (user_id, session_id, event_type, course_id,"
            " lesson_id, occurred_at, payload) SELECT user_id, session_id, event_type,"
            " course_id, lesson_id, occurred_at, payload"
            " FROM analytics.behavior_log ORDER BY id DESC LIMIT {}"
        )
        conn.execute(copy_last.format(30))  # queued, not folded
        conn.execute(
            "DELETE FROM analytics.behavior_log WHERE id IN"
            " (SELECT id FROM analytics.behavior_log ORDER BY id DESC LIMIT 40)"
        )
        # Rewritten: moved a day back, to another course, to another user.
        rewrite = (
            "UPDATE analytics.behavior_log SET occurred_at = occurred_at - interval '1 day',"
            " course_id = CASE WHEN lesson_id IS NULL AND course_id IS NOT NULL"
            " THEN (SELECT max(id) FROM learning.courses) ELSE course_id END,"
            " user_id = (SELECT min(id) FROM learning.users WHERE role = 'STUDENT')"
            " WHERE id IN (SELECT id FROM analytics.behavior_log ORDER BY id DESC LIMIT {})"
        )
        conn.execute(rewrite.format(25))  # folded ones
        conn.execute(copy_last.format(5))
        conn.execute(rewrite.format(8))  # 5 queued and 3 folded
        assert conn.execute("SELECT count(*) FROM analytics.rollup_stale").fetchone() == (0,)
    assert assert_rollups_equal_raw(ingested_db) >= 20

    # A changed role or signup time moves the students' counters in its own statement (0041):
    # nothing is queued, and the answers are right before any refresh.
    heaviest = (
        "(SELECT user_id FROM analytics.behavior_log GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1)"
    )
    with psycopg.connect(ingested_db, autocommit=True) as conn:
        conn.execute(f"UPDATE learning.users SET role = 'TEACHER' WHERE id = {heaviest}")
        assert_counters_match_a_recount(conn)
        # In one statement: the teacher is a student again and another student a teacher,
        # both signed up a month earlier.
        conn.execute(
            "UPDATE learning.users SET role = CASE WHEN role = 'TEACHER' THEN 'STUDENT'"
            " ELSE 'TEACHER' END, created_at = created_at - interval '1 month'"
            f" WHERE id IN ({heaviest}, (SELECT min(id) FROM learning.users"
            " WHERE role = 'STUDENT'))"
        )
        assert_counters_match_a_recount(conn)
        assert conn.execute("SELECT count(*) FROM analytics.rollup_stale").fetchone() == (0,)
    assert assert_rollups_equal_raw(ingested_db) >= 20

    # What still queues (a TRUNCATE of the log, a cascade from a deleted user) is caught up.
    with psycopg.connect(ingested_db, autocommit=True) as conn:
        conn.execute("INSERT INTO analytics.rollup_stale (reason) VALUES ('test')")
        result = rollups.refresh(conn, full=False)
        assert (result.kind, result.queued) == ("catch-up", 1)
        assert rollups.refresh(conn, full=False).kind == "none"
    assert assert_rollups_equal_raw(ingested_db) >= 20


def test_queued_events_are_counted_once_whether_folded_or_rebuilt(fixture_db: str) -> None:
    insert = (
        "INSERT INTO analytics.behavior_log (user_id, session_id, event_type, occurred_at)"
        " SELECT 1, gen_random_uuid(), 'LOGIN', now() - make_interval(days => d)"
        " FROM generate_series(0, 2) AS d"
    )
    with psycopg.connect(fixture_db, autocommit=True) as conn:
        conn.execute(insert)
        assert conn.execute("SELECT count(*) FROM analytics.event_queue").fetchone() == (3,)
        # While a learning write (or another fold) holds the rollups, the API's fold skips.
        with psycopg.connect(fixture_db) as writer:
            writer.execute("SELECT analytics.lock_rollups()")
            assert conn.execute("SELECT analytics.fold_pending(false)").fetchone() == (0,)
        # A rebuild reads the queued events from the log, and empties the queue.
        conn.execute("SELECT analytics.rebuild_rollups()")
        assert conn.execute("SELECT count(*) FROM analytics.event_queue").fetchone() == (0,)
        assert conn.execute("SELECT analytics.fold_pending()").fetchone() == (0,)
    assert assert_rollups_equal_raw(fixture_db) >= 13
    with psycopg.connect(fixture_db, autocommit=True) as conn:
        conn.execute(insert)
        assert conn.execute("SELECT analytics.fold_pending()").fetchone() == (3,)
    assert assert_rollups_equal_raw(fixture_db) >= 13


# The distinct-student counters, as kept and as recounted from user_day_activity by the rebuild's
# own function. Zero rows left out: a recount spans every day from the first to the last, the
# incremental paths drop the rows they bring to zero.
COUNTERS = (
    "SELECT day, active_students, active_students_30d FROM analytics.active_students_by_day"
    " WHERE active_students <> 0 OR active_students_30d <> 0 ORDER BY 1",
    "SELECT month, active_students FROM analytics.active_students_by_month ORDER BY 1",
    "SELECT cohort_week, week_number, active_students FROM analytics.cohort_week_activity"
    " ORDER BY 1, 2",
)


def assert_counters_match_a_recount(conn: psycopg.Connection[Any]) -> None:
    kept = [conn.execute(q).fetchall() for q in COUNTERS]
    assert kept[0] and kept[1] and kept[2]
    with conn.transaction(force_rollback=True):
        conn.execute("SELECT analytics.rebuild_activity_counters()")
        assert [conn.execute(q).fetchall() for q in COUNTERS] == kept


INDEXES = (
    "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'analytics'"
    " AND tablename NOT LIKE 'behavior_log%' ORDER BY 1, 2"
)
# The rebuild drops course_learner_days' triggers around its insert into course_learners (0040).
TRIGGERS = (
    "SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid), tgenabled FROM pg_trigger"
    " WHERE tgrelid::regclass::text LIKE 'analytics.%' AND NOT tgisinternal ORDER BY 1, 2"
)


def test_ingest_goes_on_while_a_full_refresh_runs(fixture_db: str) -> None:
    """`vedb refresh --full` reads one snapshot (0033): an event committed meanwhile is not
    held back, is not rebuilt, stays queued, and folds once the refresh commits."""
    with psycopg.connect(fixture_db, autocommit=True) as conn:
        indexes = conn.execute(INDEXES).fetchall()
        triggers = conn.execute(TRIGGERS).fetchall()
        assert any(name == "course_learner_days_on_insert" for _, name, _, _ in triggers)
        conn.execute("INSERT INTO analytics.rollup_stale (reason) VALUES ('test')")
        # Holding the stale entry keeps the refresh at its last statement, the queue's DELETE,
        # after every rollup was rebuilt.
        with psycopg.connect(fixture_db) as holder:
            holder.execute("SELECT FROM analytics.rollup_stale FOR UPDATE")
            with (
                ThreadPoolExecutor(1) as pool,
                psycopg.connect(fixture_db, autocommit=True) as refresher,
            ):
                pid = refresher.info.backend_pid
                running = pool.submit(rollups.refresh, refresher, full=True)
                try:
                    wait_for_lock_wait(conn, pid)
                    conn.execute("SET lock_timeout = '2s'")  # a held-back insert fails
                    conn.execute(
                        "INSERT INTO analytics.behavior_log (user_id, session_id,"
                        " event_type, occurred_at) SELECT 1, gen_random_uuid(), 'LOGIN',"
                        " now() FROM generate_series(1, 4)"
                    )
                    conn.execute("RESET lock_timeout")
                    # The fold skips while the refresh holds the rollups.
                    skipped = conn.execute("SELECT analytics.fold_pending(false)").fetchone()
                    assert skipped == (0,)
                finally:
                    holder.rollback()  # else a failure would leave the refresh waiting
                result = running.result(timeout=60)
        assert result.kind == "full" and result.queued == 1
        assert conn.execute("SELECT count(*) FROM analytics.event_queue").fetchone() == (4,)
        assert conn.execute("SELECT analytics.fold_pending()").fetchone() == (4,)
        # The rebuild dropped the rollups' indexes to fill them, and made the same ones again.
        assert conn.execute(INDEXES).fetchall() == indexes
        # And the triggers it dropped to fill course_learners, which follow a fold again.
        assert conn.execute(TRIGGERS).fetchall() == triggers
        conn.execute(
            "INSERT INTO analytics.behavior_log (user_id, session_id, event_type, course_id,"
            " occurred_at) SELECT 1, gen_random_uuid(), 'COURSE_VIEW', min(id), now()"
            " FROM learning.courses"
        )
        assert conn.execute("SELECT analytics.fold_pending()").fetchone() == (1,)
    assert assert_rollups_equal_raw(fixture_db) >= 13


def wait_for_lock_wait(conn: psycopg.Connection[Any], pid: int) -> None:
    for _ in range(300):  # at most 30 s
        row = conn.execute(
            "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)
        ).fetchone()
        if row == ("Lock",):
            return
        time.sleep(0.1)
    raise AssertionError(f"the refresh (backend {pid}) never waited on the held stale entry")


def test_the_level_rollup_follows_every_write_to_courses(stack: Stack) -> None:
    """analytics.level_progress (0037) stays exact through the course writes that move it:
    a course changing level or published flag, a new course and its first learner, and a
    course deleted with its enrollments (the delete cascades to them)."""
    level_rows = (ROLLUP["course_completion_by_level"], RAW["course_completion_by_level"])
    for url in seeded_database(stack, "demo"):
        with psycopg.connect(url, autocommit=True) as conn:
            busiest, other, student = conn.execute(
                "SELECT (SELECT course_id FROM learning.enrollments GROUP BY 1"
                " ORDER BY count(*) DESC, 1 LIMIT 1),"
                " (SELECT course_id FROM learning.enrollments GROUP BY 1"
                " ORDER BY count(*) DESC, 1 OFFSET 1 LIMIT 1),"
                " (SELECT min(id) FROM learning.users WHERE role = 'STUDENT')"
            ).fetchone() or (None, None, None)
            writes = [
                "UPDATE learning.courses SET level = CASE level WHEN 'ADVANCED' THEN"
                f" 'BEGINNER' ELSE 'ADVANCED' END WHERE id = {busiest}",
                f"UPDATE learning.courses SET is_published = NOT is_published WHERE id = {other}",
                "INSERT INTO learning.courses (slug, title, level, is_published, teacher_id)"
                " SELECT 'level-test', 'Level test', 'INTERMEDIATE', true, teacher_id"
                f" FROM learning.courses WHERE id = {busiest}",
                "INSERT INTO learning.enrollments (user_id, course_id) SELECT"
                f" {student}, id FROM learning.courses WHERE slug = 'level-test'",
                # Its enrollment goes by the cascade (a course with events cannot go).
                "DELETE FROM learning.courses WHERE slug = 'level-test'",
            ]
            for write in writes:
                before = rows(conn, level_rows[0], {})
                conn.execute(write)
                assert_derived_rollups_exact(conn)
                after = rows(conn, level_rows[0], {})
                assert after == rows(conn, level_rows[1], {}), write
                assert after != before, write  # each write moved the answer


def test_the_fold_updates_the_student_rollups_in_place(stack: Stack) -> None:
    """Migration 0038: the fold's updates of learner, lesson and student rows are HOT (no
    index entry, no other page), on the room the full rebuild leaves on every page."""
    for url in seeded_database(stack, "demo"):
        with psycopg.connect(url) as conn:
            # One student in ten sends their latest event again: rows to update. (A fold
            # that updates most of a page's students at once outruns the room on the page,
            # which a day's 8 % of `huge`'s students, spread over many folds, does not.)
            conn.execute(
                "INSERT INTO analytics.behavior_log (user_id, session_id, event_type,"
                " course_id, lesson_id, occurred_at)"
                " SELECT DISTINCT ON (user_id) user_id, session_id, event_type, course_id,"
                " lesson_id, occurred_at FROM analytics.behavior_log"
                " WHERE course_id IS NOT NULL AND lesson_id IS NOT NULL AND user_id % 10 = 0"
                " ORDER BY user_id, occurred_at DESC"
            )
            conn.execute("SELECT analytics.fold_pending()")
            updates = {
                r[0]: (r[1], r[2])
                for r in conn.execute(
                    "SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables"
                    " WHERE schemaname = 'analytics' AND relname IN"
                    " ('course_learners', 'lesson_learners', 'user_activity')"
                )
            }
            conn.rollback()
        assert set(updates) == {"course_learners", "lesson_learners", "user_activity"}
        for table, (updated, hot) in updates.items():
            # user_activity's rows are ~0.5 kB: its pages have room for two or three new
            # versions, and one student in ten can still be three on one page.
            least = 0.75 * updated if table == "user_activity" else updated
            assert updated >= 5 and hot >= least, (table, updated, hot)
