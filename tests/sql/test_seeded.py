"""On seeded profiles: every query finds something on `demo`, and finishes on `load`."""

from __future__ import annotations

import time

import psycopg

from tests.sql.conftest import CATALOG
from vedb.analytics.runner import Analytics, connect_to


def sample_params(url: str) -> dict[str, dict[str, object]]:
    """A busy student and a popular course of the seeded data, for the per-entity queries."""
    with psycopg.connect(url) as conn:
        user = conn.execute(
            "SELECT user_id FROM analytics.behavior_log GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        ).fetchone()
        course = conn.execute(
            "SELECT course_id FROM learning.enrollments GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        ).fetchone()
    assert user and course
    return {
        "student_behavior_pattern": {"user_id": user[0]},
        "course_engagement_metrics": {"course_id": course[0]},
        "lesson_dropoff": {"course_id": course[0]},
        "learning_funnel": {"course_id": course[0]},
    }


async def test_every_query_finds_plausible_rows_on_demo(demo_db: str) -> None:
    analytics = Analytics(CATALOG, connect_to(demo_db))
    params = sample_params(demo_db)
    for name in CATALOG:
        rows = [r.model_dump() for r in (await analytics.run(name, params.get(name))).rows]
        assert rows, name
        numbers = [v for row in rows for v in row.values() if isinstance(v, int | float)]
        assert any(v > 0 for v in numbers), f"{name}: all zeros"
    # The seeded period ends at today's midnight (UTC): every earlier day has active students.
    dau = (await analytics.run("daily_active_users", {"days": 7})).rows
    assert all(r.active_users > 0 for r in dau[:-1])  # type: ignore[attr-defined]
    funnel = [r.learners for r in (await analytics.run("learning_funnel")).rows]  # type: ignore[attr-defined]
    assert funnel == sorted(funnel, reverse=True) and funnel[-1] > 0


async def test_every_query_finishes_on_load(load_db: str) -> None:
    analytics = Analytics(CATALOG, connect_to(load_db))
    params = sample_params(load_db)
    timings = {}
    for name in CATALOG:
        started = time.perf_counter()
        result = await analytics.run(name, params.get(name))
        timings[name] = time.perf_counter() - started
        assert result.rows, name
    print("query seconds on load:", {k: round(v, 3) for k, v in timings.items()})
