"""All migrations apply, roll back to nothing, apply again, and a second apply is a no-op."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

from tests.migrations.catalog import MIGRATION_IDS, snapshot
from vedb import migrations
from vedb.analytics.rollups import ROLLUP_TABLES
from vedb.settings import REPO_ROOT

EXPECTED_TABLES = {
    ("learning", "users"),
    ("learning", "courses"),
    ("learning", "lessons"),
    ("learning", "enrollments"),
    ("learning", "user_progress"),
    ("gamification", "point_ledger"),
    ("gamification", "streaks"),
    ("gamification", "achievements"),
    ("gamification", "user_achievements"),
    ("social", "friendships"),
    ("social", "follows"),
    ("analytics", "behavior_log"),
    ("analytics", "rollup_stale"),
    ("analytics", "rollup_runs"),
    ("analytics", "event_queue"),
    ("analytics", "event_retention"),
    *(tuple(t.split(".")) for t in ROLLUP_TABLES),
    ("ops", "seed_runs"),
}

# Built by 0006 and 0007, dropped by 0025: no reader after the rollups.
DROPPED_INDEXES = ("behavior_log_session_event_idx", "behavior_log_event_time_idx")
PERFORMANCE_INDEXES = {
    "behavior_log_user_time_idx": "(user_id, occurred_at DESC)",
    "user_progress_user_status_idx": "(user_id, status)",
    "user_progress_course_status_idx": "(course_id, status)",
    "users_student_points_idx": "WHERE (role = 'STUDENT'::text)",
    "courses_level_published_idx": "(level, is_published)",
    # unfold_users takes one student out of the learner rollups by these (0035).
    "course_learners_user_idx": "analytics.course_learners USING btree (user_id)",
    "lesson_learners_user_idx": "analytics.lesson_learners USING btree (user_id)",
}


def tables(url: str) -> set[tuple[str, str]]:
    snap = snapshot(url)
    # A partitioned table counts once, not its partitions (the event log's months, 0031).
    return {
        (str(s), str(n))
        for s, n, kind, partition in snap["relations"]
        if kind in ("r", "p") and not partition
    }


def yoyo(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    """The operator's command, run from the repository root with yoyo.ini."""
    env = {**os.environ, "VEDB_DATABASE_URL": url}
    yoyo_bin = Path(sys.executable).parent / "yoyo"
    return subprocess.run(
        [str(yoyo_bin), *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
    )


def test_yoyo_cli_apply_rollback_apply_from_repo_root(fresh_db: str) -> None:
    applied = yoyo("apply", url=fresh_db)
    assert applied.returncode == 0, applied.stderr
    assert tables(fresh_db) == EXPECTED_TABLES

    rolled_back = yoyo("rollback", "--all", url=fresh_db)
    assert rolled_back.returncode == 0, rolled_back.stderr
    empty = snapshot(fresh_db)
    assert empty["schemas"] == []
    assert empty["relations"] == []  # no table, index or sequence left
    assert empty["types"] == []
    assert empty["constraints"] == []

    again = yoyo("apply", url=fresh_db)
    assert again.returncode == 0, again.stderr
    assert tables(fresh_db) == EXPECTED_TABLES


def test_second_apply_changes_nothing(fresh_db: str) -> None:
    first = migrations.apply_all(fresh_db)
    assert len(first) == len(migrations.status(fresh_db)) > 0
    before = snapshot(fresh_db)

    assert migrations.apply_all(fresh_db) == []
    rerun = yoyo("apply", url=fresh_db)
    assert rerun.returncode == 0, rerun.stderr
    assert snapshot(fresh_db) == before


def test_rollback_all_then_apply_restores_the_same_schema(fresh_db: str) -> None:
    migrations.apply_all(fresh_db)
    applied = snapshot(fresh_db)
    rolled_back = migrations.rollback_all(fresh_db)
    assert rolled_back == MIGRATION_IDS[::-1]
    assert migrations.head(fresh_db) is None
    migrations.apply_all(fresh_db)
    restored = snapshot(fresh_db)
    assert {k: v for k, v in restored.items() if k != "yoyo_log"} == {
        k: v for k, v in applied.items() if k != "yoyo_log"
    }
    assert migrations.head(fresh_db) == migrations.status(fresh_db)[-1].id


def test_performance_indexes_exist_and_are_valid(migrated_db: str) -> None:
    with psycopg.connect(migrated_db) as conn:
        rows = conn.execute(
            """
            SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisvalid
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE c.relname = ANY(%s)
            """,
            ([*PERFORMANCE_INDEXES, *DROPPED_INDEXES],),
        ).fetchall()
    found = {name: (definition, valid) for name, definition, valid in rows}
    assert set(found) == set(PERFORMANCE_INDEXES)  # and none of DROPPED_INDEXES
    for name, fragment in PERFORMANCE_INDEXES.items():
        definition, valid = found[name]
        assert fragment in definition, definition
        assert valid, f"{name} is INVALID"


def test_group_roles_have_least_privilege(migrated_db: str) -> None:
    with psycopg.connect(migrated_db) as conn:

        def can(role: str, privilege: str, table: str = "analytics.behavior_log") -> bool:
            row = conn.execute("SELECT has_table_privilege(%s, %s, %s)", (role, table, privilege))
            value = row.fetchone()
            return bool(value and value[0])

        assert can("vedb_readonly", "SELECT")
        assert not can("vedb_readonly", "INSERT")
        assert not can("vedb_readonly", "DELETE", "learning.users")
        assert can("vedb_app", "INSERT")
        assert can("vedb_app", "UPDATE", "learning.user_progress")
        assert not can("vedb_app", "TRUNCATE")
        assert can("vedb_owner", "TRUNCATE")
