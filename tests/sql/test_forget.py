"""Erasure of one user (analytics.forget_user, migration 0027) on seeded data: every query's
answer still equals its raw-table reference, no table keeps a row of theirs, and no rebuild
was queued."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests.conftest import seeded_database
from tests.sql.test_rollups import assert_rollups_equal_raw
from tests.unit.test_cli import run_vedb
from vedb.analytics.erasure import ForgetError, forget
from vedb.stack import Stack

# Every column that names a user, in every table that has one.
USER_COLUMNS = """
SELECT c.table_schema, c.table_name, c.column_name
FROM information_schema.columns AS c
JOIN information_schema.tables AS t
  ON t.table_schema = c.table_schema AND t.table_name = c.table_name
WHERE t.table_type = 'BASE TABLE'
  AND c.table_schema IN ('learning', 'gamification', 'social', 'analytics')
  AND (c.column_name IN ('user_id', 'requester_id', 'addressee_id', 'follower_id',
                         'followee_id')
       OR (c.table_name = 'users' AND c.column_name = 'id'))
"""


@pytest.fixture(scope="module", params=["demo", "load"])
def erasable_db(request: pytest.FixtureRequest, stack: Stack) -> Iterator[str]:
    yield from seeded_database(stack, request.param)


def heaviest_student(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute(
        "SELECT e.user_id FROM analytics.behavior_log AS e"
        " JOIN learning.users AS u ON u.id = e.user_id AND u.role = 'STUDENT'"
        " GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    ).fetchone()
    assert row is not None
    return int(row[0])


def traces(conn: psycopg.Connection[Any], user_id: int) -> dict[str, int]:
    found = {}
    for schema, table, column in conn.execute(USER_COLUMNS).fetchall():
        row = conn.execute(
            f'SELECT count(*) FROM "{schema}"."{table}" WHERE "{column}" = %s',
            (user_id,),
        ).fetchone()
        if row and row[0]:
            found[f"{schema}.{table}.{column}"] = int(row[0])
    return found


def test_vedb_forget_says_what_it_would_delete_and_refuses_an_unknown_user(
    erasable_db: str,
) -> None:
    with psycopg.connect(erasable_db, autocommit=True) as conn:
        user = heaviest_student(conn)
        events = traces(conn, user)["analytics.behavior_log.user_id"]
    dry = run_vedb("forget", "--user", str(user), "--dry-run", VEDB_DATABASE_URL=erasable_db)
    assert dry.returncode == 0, dry.stderr
    assert re.search(rf"analytics\.behavior_log\s+{events:,}\n", dry.stdout), dry.stdout
    assert f"Dry run: forgetting user {user} would delete" in dry.stdout
    assert "rolled back, nothing changed" in dry.stdout
    unknown = run_vedb("forget", "--user", "987654321", VEDB_DATABASE_URL=erasable_db)
    assert unknown.returncode == 1
    assert "cannot forget user 987654321: no user 987654321" in unknown.stderr
    zero = run_vedb("forget", "--user", "0", VEDB_DATABASE_URL=erasable_db)
    assert zero.returncode == 1 and "must be positive, not 0" in zero.stderr


def test_a_dry_run_counts_and_changes_nothing(erasable_db: str) -> None:
    with psycopg.connect(erasable_db, autocommit=True) as conn:
        user = heaviest_student(conn)
        before = traces(conn, user)
        result = forget(conn, user, dry_run=True)
        assert traces(conn, user) == before
    assert result.deleted["analytics.behavior_log"] == before["analytics.behavior_log.user_id"]
    assert result.deleted["learning.users"] == 1


def test_forgetting_the_heaviest_student_leaves_every_answer_equal_to_raw(
    erasable_db: str,
) -> None:
    with psycopg.connect(erasable_db, autocommit=True) as conn:
        user = heaviest_student(conn)
        stale = conn.execute("SELECT count(*) FROM analytics.rollup_stale").fetchone()
        result = forget(conn, user)
        assert traces(conn, user) == {}, "a row of the forgotten user is left"
        after = conn.execute("SELECT count(*) FROM analytics.rollup_stale").fetchone()
        assert after == stale, "forgetting queued a rebuild"
    assert result.deleted["analytics.behavior_log"] > 0
    print(f"\nforgot user {user}: {result.total:,} rows in {result.seconds * 1000:.0f} ms")
    assert assert_rollups_equal_raw(erasable_db) >= 13


def test_an_unknown_user_is_refused_by_name(erasable_db: str) -> None:
    with psycopg.connect(erasable_db, autocommit=True) as conn:
        with pytest.raises(ForgetError, match="no user 987654321"):
            forget(conn, 987654321)
        teacher = conn.execute("SELECT teacher_id FROM learning.courses LIMIT 1").fetchone()
        assert teacher is not None
        with pytest.raises(ForgetError, match="teaches courses"):
            forget(conn, int(teacher[0]))
