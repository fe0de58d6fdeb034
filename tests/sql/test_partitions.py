"""The event log partitioned by month (migration 0031): the move of an existing log and its
rollback keep every event and every answer; ingest stays idempotent across months, touches
one partition per month, and refuses a month without one; `vedb refresh` makes the next ones."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from tests.api.conftest import INGEST, serving
from tests.conftest import report, seeded_database
from tests.migrations.test_apply_rollback import yoyo
from tests.sql.test_rollups import (
    ROLLUP,
    assert_counters_match_a_recount,
    assert_rollups_equal_raw,
    param_sets,
    rows,
)
from vedb import migrations
from vedb.analytics import rollups
from vedb.api.events import INSERT
from vedb.settings import Settings
from vedb.stack import Stack

MIGRATION = "0031.partition-behavior-log"
# Every column of every event, hashed: equal sums mean the same events, none lost or doubled.
FINGERPRINT = """
SELECT count(*), sum(id), sum(hashtextextended(concat_ws('|', id, user_id, session_id,
       event_type, course_id, lesson_id, occurred_at, payload, client_event_id), 0)::numeric)
FROM analytics.behavior_log
"""
MISPLACED = """
SELECT count(*) FROM analytics.behavior_log
WHERE tableoid::regclass::text
      <> 'analytics.behavior_log_' || to_char(occurred_at AT TIME ZONE 'UTC', '"y"YYYY"m"MM')
"""


def scalar(url: str, query: str) -> Any:
    with psycopg.connect(url) as conn:
        row = conn.execute(query).fetchone()
        return row[0] if row and len(row) == 1 else row


def log_kind(url: str) -> str:
    return str(
        scalar(url, "SELECT relkind FROM pg_class WHERE oid = 'analytics.behavior_log'::regclass")
    )


@pytest.fixture(scope="module")
def load_log(stack: Stack) -> Iterator[str]:
    yield from seeded_database(stack, "load")


def test_the_seed_writes_ended_months_by_student(load_log: str) -> None:
    """The seed leaves ended months as `vedb refresh` would reorder them: nothing to do.
    First in this module: the move below rewrites the log."""
    with psycopg.connect(load_log) as conn:
        assert conn.execute(PENDING).fetchall() == []
        ended = conn.execute(
            "SELECT count(*) FROM pg_index AS x JOIN pg_inherits AS i ON i.inhrelid = x.indexrelid"
            " WHERE i.inhparent = 'analytics.behavior_log_user_time_idx'::regclass"
            " AND x.indisclustered"
        ).fetchone()
    assert ended is not None and ended[0] > 2
    assert scalar(load_log, PAGES_OF_HEAVIEST) < 100


def test_the_move_and_its_rollback_keep_every_event_and_answer(load_log: str) -> None:
    events = scalar(load_log, FINGERPRINT)
    assert log_kind(load_log) == "p" and events[0] > 500_000
    assert scalar(load_log, MISPLACED) == 0  # the seeder copied each month into its own

    started = time.perf_counter()
    rolled_back = yoyo("rollback", "--batch", "--revision", MIGRATION, url=load_log)
    back_s = time.perf_counter() - started
    assert rolled_back.returncode == 0, rolled_back.stderr
    assert log_kind(load_log) == "r"
    assert scalar(load_log, FINGERPRINT) == events
    assert assert_rollups_equal_raw(load_log) >= 20

    started = time.perf_counter()
    applied = migrations.apply_all(load_log)
    assert applied[0] == MIGRATION  # and those that build on it
    forward_s = time.perf_counter() - started
    assert log_kind(load_log) == "p"
    assert scalar(load_log, FINGERPRINT) == events
    assert scalar(load_log, MISPLACED) == 0
    assert assert_rollups_equal_raw(load_log) >= 20
    # New events continue the ids after the moved ones.
    top = int(scalar(load_log, "SELECT max(id) FROM analytics.behavior_log"))
    with psycopg.connect(load_log) as conn:
        row = conn.execute(
            "INSERT INTO analytics.behavior_log (user_id, session_id, event_type, occurred_at)"
            " SELECT min(id), gen_random_uuid(), 'LOGIN', now() FROM learning.users RETURNING id"
        ).fetchone()
        assert row is not None and row[0] > top
        conn.rollback()
    report(
        f"0031 on load ({events[0]:,} events, test stack): partitioned in {forward_s:.1f} s, "
        f"rolled back in {back_s:.1f} s"
    )


def answers(url: str, sets: list[tuple[str, dict[str, object]]]) -> list[Any]:
    with psycopg.connect(url) as conn:
        return [(name, params, rows(conn, ROLLUP[name], params)) for name, params in sets]


# The heap pages one student's events sit on: what forgetting them reads and dirties.
PAGES_OF_HEAVIEST = """
SELECT count(DISTINCT (tableoid, (ctid::text::point)[0])) FROM analytics.behavior_log
WHERE user_id = (SELECT user_id FROM analytics.user_activity ORDER BY events DESC, 1 LIMIT 1)
"""
PENDING = "SELECT month_partition::text FROM analytics.event_months_to_reorder()"


# Each month's partition, rewritten in its key's order (id, occurred_at): arrival order.
IN_ARRIVAL_ORDER = """
SELECT format('CLUSTER %s USING %I', c.oid::regclass, ix.relname)
FROM pg_inherits AS i
JOIN pg_class AS c ON c.oid = i.inhrelid
JOIN pg_index AS x ON x.indrelid = c.oid AND x.indisprimary
JOIN pg_class AS ix ON ix.oid = x.indexrelid
WHERE i.inhparent = 'analytics.behavior_log'::regclass
"""


def test_ended_months_reorder_by_student_and_every_answer_stays(load_log: str) -> None:
    with psycopg.connect(load_log, autocommit=True) as conn:
        sets = param_sets(conn)
        # The seed wrote the ended months by student: back to arrival order, as a log that
        # took its events through the API holds them.
        for (statement,) in conn.execute(IN_ARRIVAL_ORDER).fetchall():
            conn.execute(statement)
    before, events = answers(load_log, sets), scalar(load_log, FINGERPRINT)
    pages = scalar(load_log, PAGES_OF_HEAVIEST)
    this_month = f"analytics.behavior_log_{datetime.now(UTC):y%Ym%m}"
    with psycopg.connect(load_log, autocommit=True) as conn:
        pending = [month for (month,) in conn.execute(PENDING)]
        assert len(pending) > 2 and this_month not in pending
        assert pending == sorted(pending, reverse=True)  # newest first
        # This month still takes events in arrival order: refused, like any other table.
        for table in (this_month, "learning.users"):
            with pytest.raises(psycopg.errors.InvalidParameterValue, match="arrival order"):
                conn.execute("SELECT analytics.reorder_event_month(%s::regclass)", (table,))
        # `vedb refresh` does one month per run, the newest first ...
        seen: list[str] = []
        result = rollups.refresh(conn, full=False, reorder_months=1, on_reorder=seen.append)
        assert [m.partition for m in result.months_reordered] == seen == pending[:1]
        # ... and the rest when asked; then there is nothing left to do.
        rest = rollups.reorder_ended_months(conn, 1_000)
        assert [m.partition for m in rest] == pending[1:]
        assert conn.execute(PENDING).fetchall() == []
        assert rollups.refresh(conn, full=False, reorder_months=5).months_reordered == ()
    assert scalar(load_log, FINGERPRINT) == events
    assert answers(load_log, sets) == before
    assert assert_rollups_equal_raw(load_log) >= 20
    after = scalar(load_log, PAGES_OF_HEAVIEST)
    assert after * 4 < pages, (pages, after)
    seconds = sum(m.seconds for m in (*result.months_reordered, *rest))
    report(
        f"reorder on load: {len(pending)} months in {seconds:.1f} s; the heaviest student's"
        f" events on {after:,} pages instead of {pages:,}"
    )


def test_the_api_login_may_reorder_ended_months(migrated_db: str) -> None:
    with psycopg.connect(migrated_db) as conn:
        row = conn.execute(
            "SELECT has_function_privilege('vedb_app', 'analytics.reorder_event_month(regclass)',"
            " 'EXECUTE'), has_function_privilege('vedb_readonly',"
            " 'analytics.reorder_event_month(regclass)', 'EXECUTE')"
        ).fetchone()
    assert row == (True, False)


def test_months_past_retention_go_and_every_answer_stays(load_log: str) -> None:
    with psycopg.connect(load_log) as conn:
        sets = param_sets(conn)  # picked from the log: the same ones after the drop
    before = answers(load_log, sets)
    events = scalar(load_log, FINGERPRINT)[0]
    with psycopg.connect(load_log, autocommit=True) as conn:
        months = conn.execute(
            "SELECT count(DISTINCT tableoid) FROM analytics.behavior_log"
        ).fetchone()
        # Keep last month and this one: the seed's earlier months go.
        result = rollups.refresh(conn, full=False, retention_months=1)
        assert months is not None and 0 < len(result.partitions_dropped) < months[0] + 12
        horizon = conn.execute("SELECT horizon FROM analytics.event_retention").fetchone()
        assert horizon is not None
        assert conn.execute(
            "SELECT count(*) FROM analytics.behavior_log WHERE occurred_at < %s", horizon
        ).fetchone() == (0,)
        # Nothing made again before the horizon, and a second pass drops nothing.
        again = rollups.refresh(conn, full=False, retention_months=1)
        assert (again.partitions_made, again.partitions_dropped) == (0, ())
    kept = scalar(load_log, FINGERPRINT)[0]
    assert 0 < kept < events
    assert answers(load_log, sets) == before

    # A changed role moves the student's days out of the counters, the dropped months' too,
    # without queueing the rebuild that would refuse (0041); and back in when it changes back.
    with psycopg.connect(load_log, autocommit=True) as conn:
        for role in ("TEACHER", "STUDENT"):
            conn.execute(
                "UPDATE learning.users SET role = %s WHERE id = (SELECT a.user_id"
                " FROM analytics.user_day_activity AS a WHERE a.day < %s::date"
                " GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1)",
                (role, horizon[0]),
            )
            assert conn.execute("SELECT count(*) FROM analytics.rollup_stale").fetchone() == (0,)
            assert_counters_match_a_recount(conn)
        assert rollups.refresh(conn, full=False).kind == "none"
    assert answers(load_log, sets) == before

    # A rebuild would count the months kept only: refused, unless told to.
    with psycopg.connect(load_log, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="retention"):
            rollups.refresh(conn, full=True)
        rollups.refresh(conn, full=True, discard_dropped_history=True)
    assert assert_rollups_equal_raw(load_log) >= 20  # the raw references read the kept log
    report(f"retention on load: {events - kept:,} of {events:,} events dropped with their months")


def _event(at: datetime, client_id: uuid.UUID) -> dict[str, Any]:
    return {
        "client_event_id": str(client_id),
        "user_id": 1,
        "session_id": str(uuid.uuid4()),
        "event_type": "LOGIN",
        "occurred_at": at.isoformat(),
    }


async def test_ingest_is_idempotent_across_months(fixture_db: str, stack: Stack) -> None:
    settings = Settings().model_copy(
        update={
            "database_url": fixture_db,
            "redis_url": stack.redis.url,
            "api_tokens": {"ingest-token": ["ingest"]},
        }
    )
    now = datetime.now(UTC)
    last_month = now.replace(day=1) - timedelta(days=3)
    ids = [uuid.uuid4() for _ in range(4)]
    batch = [_event(last_month, ids[0]), _event(last_month, ids[1])]
    batch += [_event(now - timedelta(minutes=5), ids[2]), _event(now, ids[3])]
    async with serving(settings) as (_, client):
        first = await client.post("/api/events", json={"events": batch}, headers=INGEST)
        assert first.json() == {"accepted": 4, "duplicates": 0}
        # The retry (a lost acknowledgement) in another order: each finds its first copy.
        again = await client.post("/api/events", json={"events": batch[::-1]}, headers=INGEST)
        assert again.json() == {"accepted": 0, "duplicates": 4}

        old = _event(now - timedelta(days=5 * 366), uuid.uuid4())
        refused = await client.post("/api/events", json={"events": [old, batch[0]]}, headers=INGEST)
        assert refused.status_code == 422
        detail = refused.json()["detail"][0]
        assert detail["type"] == "occurred_at_out_of_range", detail
        assert "no partition for" in detail["msg"] and "occurred_at" in detail["msg"], detail
    with psycopg.connect(fixture_db) as conn:
        placed = conn.execute(
            "SELECT tableoid::regclass::text, count(*) FROM analytics.behavior_log"
            " WHERE client_event_id = ANY(%s) GROUP BY 1 ORDER BY 1",
            (ids,),
        ).fetchall()
    months = sorted({f"analytics.behavior_log_{d:y%Ym%m}" for d in (last_month, now)})
    assert placed == [(months[0], 2), (months[1], 2)]


def test_ingest_of_one_month_touches_one_partition(fixture_db: str) -> None:
    now = datetime.now(UTC)
    rows = [_event(now - timedelta(seconds=s), uuid.uuid4()) for s in range(20)]
    columns = [
        [str(e["client_event_id"]) for e in rows],
        [1] * len(rows),
        [str(e["session_id"]) for e in rows],
        ["LOGIN"] * len(rows),
        [None] * len(rows),
        [None] * len(rows),
        [datetime.fromisoformat(e["occurred_at"]) for e in rows],
        ["{}"] * len(rows),
    ]
    with psycopg.connect(fixture_db) as conn:
        found = conn.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {INSERT}", columns).fetchone()
        conn.rollback()
    assert found is not None
    plan = found[0][0]
    assert plan["Plan"]["Node Type"] == "ModifyTable" and plan["Plan"]["Tuples Inserted"] == 20
    # Each inserted row's key checks run on the partition that took it: only this month's.
    touched = {t["Relation"] for t in plan["Triggers"] if t["Trigger Name"].startswith("RI_")}
    assert touched == {f"behavior_log_{now:y%Ym%m}"}, json.dumps(plan["Triggers"])


def test_refresh_makes_the_months_ahead(fixture_db: str) -> None:
    ahead = datetime.now(UTC).replace(day=1) + timedelta(days=62)
    partition = f"analytics.behavior_log_{ahead:y%Ym%m}"
    with psycopg.connect(fixture_db, autocommit=True) as conn:
        conn.execute(f"DROP TABLE {partition}")
        result = rollups.refresh(conn, full=False)
        assert result.partitions_made == 1
        assert conn.execute("SELECT to_regclass(%s)::text", (partition,)).fetchone() == (partition,)
        assert rollups.refresh(conn, full=False).partitions_made == 0
