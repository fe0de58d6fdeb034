"""Every catalogue query on an empty database, and bad parameters that never reach it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.sql.conftest import CATALOG
from tests.sql.test_queries import TODAY, rows
from vedb.analytics.params import ParamError
from vedb.analytics.runner import Analytics, UnknownQuery, connect_to

EMPTY = {
    ("daily_active_users", (("days", 2),)): [
        {"day": TODAY - timedelta(days=1), "active_users": 0},
        {"day": TODAY, "active_users": 0},
    ],
    ("learning_funnel", ()): [
        {
            "position": p,
            "stage": s,
            "learners": 0,
            "rate_from_previous": None,
            "rate_from_enrolled": None,
        }
        for p, s in enumerate(["enrolled", "started", "halfway", "completed"], start=1)
    ],
    ("cohort_retention", ()): [],
    ("leaderboard", ()): [],
    ("student_behavior_pattern", (("user_id", 1),)): [],
    ("course_completion_by_level", ()): [
        {
            "level": lv,
            "published_courses": 0,
            "enrollments": 0,
            "completions": 0,
            "completion_rate": None,
        }
        for lv in ("BEGINNER", "INTERMEDIATE", "ADVANCED")
    ],
    ("at_risk_students", ()): [],
    ("course_engagement_metrics", (("course_id", 1),)): [],
    ("top_courses", ()): [],
    ("gamification_effectiveness", ()): [
        {
            "group": g,
            "students": 0,
            "enrollments": 0,
            "course_completion_rate": None,
            "avg_completed_lessons": None,
            "active_30d_rate": None,
        }
        for g in ("gamified", "not_gamified")
    ],
    ("lesson_dropoff", (("course_id", 1),)): [],
    ("engagement_stickiness", (("days", 1),)): [
        {"day": TODAY, "dau": 0, "mau": 0, "stickiness": None}
    ],
}


@pytest.mark.parametrize(("name", "params"), EMPTY, ids=[n for n, _ in EMPTY])
async def test_on_an_empty_database(
    migrated_db: str, name: str, params: tuple[tuple[str, int], ...]
) -> None:
    empty = Analytics(CATALOG, connect_to(migrated_db))
    assert await rows(empty, name, **dict(params)) == EMPTY[(name, params)]


async def test_monthly_active_users_on_an_empty_database(migrated_db: str) -> None:
    result = await rows(
        Analytics(CATALOG, connect_to(migrated_db)), "monthly_active_users", months=1
    )
    assert result == [{"month": TODAY.replace(day=1), "active_users": 0}]


def test_every_query_is_tested_here() -> None:
    tested = {name for name, _ in EMPTY} | {"monthly_active_users"}
    assert tested == set(CATALOG)


async def test_bad_parameters_never_reach_the_database(analytics: Analytics) -> None:
    for name, params in [
        ("leaderboard", {"limit": 0}),
        ("leaderboard", {"limit": "ten"}),
        ("lesson_dropoff", {}),
        ("top_courses", {"course_id": 1}),
    ]:
        with pytest.raises(ParamError):
            await analytics.run(name, params)
    with pytest.raises(UnknownQuery, match="unknown query 'nope'"):
        await analytics.run("nope")
    assert analytics.executions == 0
