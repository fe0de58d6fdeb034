"""DELETE /api/admin/users/{id}: erasure for admins, on the fixture database of this module."""

from __future__ import annotations

import httpx
import psycopg

from tests.api.conftest import ADMIN, ANALYTICS
from tests.sql.test_forget import heaviest_student, traces
from tests.sql.test_rollups import assert_rollups_equal_raw


async def test_an_admin_erases_a_student_and_every_answer_forgets_them(
    client: httpx.AsyncClient, fixture_db: str
) -> None:
    with psycopg.connect(fixture_db, autocommit=True) as conn:
        user = heaviest_student(conn)
        before = traces(conn, user)
    path = f"/api/admin/users/{user}"
    assert (await client.delete(path, headers=ANALYTICS)).status_code == 403
    assert (await client.delete(path)).status_code == 401
    dry = await client.delete(path, params={"dry_run": "true"}, headers=ADMIN)
    assert dry.status_code == 200, dry.text
    assert dry.json()["dry_run"] is True
    assert (
        dry.json()["deleted"]["analytics.behavior_log"] == before["analytics.behavior_log.user_id"]
    )
    with psycopg.connect(fixture_db, autocommit=True) as conn:
        assert traces(conn, user) == before  # a dry run changes nothing
    # A cached answer that names the student is not served after the erasure.
    pattern = f"/api/analytics/student_behavior_pattern?user_id={user}"
    assert (await client.get(pattern, headers=ANALYTICS)).json()
    done = await client.delete(path, headers=ADMIN)
    assert done.status_code == 200, done.text
    assert done.json()["deleted"]["learning.users"] == 1
    with psycopg.connect(fixture_db, autocommit=True) as conn:
        assert traces(conn, user) == {}
    after = await client.get(pattern, headers=ANALYTICS)
    assert after.status_code == 200 and after.json() == [], after.text
    assert assert_rollups_equal_raw(fixture_db) >= 13
    again = await client.delete(path, headers=ADMIN)
    assert again.status_code == 404 and again.json()["detail"] == f"no user {user}"


async def test_a_teacher_or_a_bad_id_is_refused_with_the_reason(
    client: httpx.AsyncClient, fixture_db: str
) -> None:
    with psycopg.connect(fixture_db, autocommit=True) as conn:
        row = conn.execute("SELECT teacher_id FROM learning.courses LIMIT 1").fetchone()
    assert row is not None
    teacher = await client.delete(f"/api/admin/users/{row[0]}", headers=ADMIN)
    assert teacher.status_code == 409 and "teaches courses" in teacher.json()["detail"]
    assert (await client.delete("/api/admin/users/0", headers=ADMIN)).status_code == 422
    assert (await client.delete("/api/admin/users/x", headers=ADMIN)).status_code == 422
