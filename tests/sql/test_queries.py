"""Every catalogue query's exact rows on the hand-built fixture, and on an empty database.

Literal expectations are worked out by hand in the comments; the ones that depend on today's
date (months, weeks, weekdays) are computed by plain Python over the same fixture lists.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest

from tests.sql import fixture
from tests.sql.conftest import CATALOG
from tests.sql.fixture import EVENTS, STUDENTS, USERS, T, at
from vedb.analytics.params import ParamError
from vedb.analytics.runner import Analytics, UnknownQuery, connect_to

TODAY = T.date()


async def rows(analytics: Analytics, name: str, **params: object) -> list[dict[str, Any]]:
    result = await analytics.run(name, params)
    return [row.model_dump() for row in result.rows]


def student_days() -> set[tuple[int, date]]:
    return {(e.user_id, e.occurred_at.date()) for e in EVENTS if e.user_id in STUDENTS}


async def test_daily_active_users_counts_students_per_utc_day(analytics: Analytics) -> None:
    # Yesterday: Ana (23:50, 23:55) and Binh; the teacher does not count. Today: Ana at 00:10.
    assert await rows(analytics, "daily_active_users", days=3) == [
        {"day": TODAY - timedelta(days=2), "active_users": 0},
        {"day": TODAY - timedelta(days=1), "active_users": 2},
        {"day": TODAY, "active_users": 1},
    ]


async def test_monthly_active_users(analytics: Analytics) -> None:
    this_month = TODAY.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    active = Counter({m: 0 for m in (last_month, this_month)})
    for _, day in {(u, d.replace(day=1)) for u, d in student_days()}:
        if day in active:
            active[day] += 1
    assert await rows(analytics, "monthly_active_users", months=2) == [
        {"month": m, "active_users": active[m]} for m in (last_month, this_month)
    ]


async def test_learning_funnel_over_all_courses(analytics: Analytics) -> None:
    # Enrollments (1,1) (1,2) (2,1) (3,1) (3,3): started all but (3,3); halfway (1,1) 2/2 and
    # (2,1) 1/2; completed (1,1) only.
    assert await rows(analytics, "learning_funnel") == [
        {
            "position": 1,
            "stage": "enrolled",
            "learners": 5,
            "rate_from_previous": None,
            "rate_from_enrolled": 1.0,
        },
        {
            "position": 2,
            "stage": "started",
            "learners": 4,
            "rate_from_previous": 0.8,
            "rate_from_enrolled": 0.8,
        },
        {
            "position": 3,
            "stage": "halfway",
            "learners": 2,
            "rate_from_previous": 0.5,
            "rate_from_enrolled": 0.4,
        },
        {
            "position": 4,
            "stage": "completed",
            "learners": 1,
            "rate_from_previous": 0.5,
            "rate_from_enrolled": 0.2,
        },
    ]


async def test_learning_funnel_for_one_course_and_a_course_without_lessons(
    analytics: Analytics,
) -> None:
    course_1 = await rows(analytics, "learning_funnel", course_id=1)
    assert [(r["learners"], r["rate_from_enrolled"]) for r in course_1] == [
        (3, 1.0),
        (3, 1.0),
        (2, 0.6667),
        (1, 0.3333),
    ]
    empty_course = await rows(analytics, "learning_funnel", course_id=3)
    assert [(r["learners"], r["rate_from_previous"]) for r in empty_course] == [
        (1, None),
        (0, 0.0),
        (0, None),
        (0, None),
    ]


async def test_cohort_retention(analytics: Analytics) -> None:
    weeks = 4
    monday = TODAY - timedelta(days=TODAY.weekday())
    first = monday - timedelta(days=7 * (weeks - 1))
    cohorts: dict[date, set[int]] = {}
    for uid, role, _, _, created in USERS:
        week = created.date() - timedelta(days=created.weekday())
        if role == "STUDENT" and created.date() >= first:
            cohorts.setdefault(week, set()).add(uid)
    expected = []
    for week, members in sorted(cohorts.items()):
        for k in range(weeks):
            if week + timedelta(days=7 * k) > monday:
                break
            active = {
                u
                for u, d in student_days()
                if u in members and d >= week and (d - week).days // 7 == k
            }
            expected.append(
                {
                    "cohort_week": week,
                    "cohort_size": len(members),
                    "week_number": k,
                    "active_users": len(active),
                    "retention": round(len(active) / len(members), 4),
                }
            )
    assert await rows(analytics, "cohort_retention", weeks=weeks) == expected


async def test_leaderboard_ties_share_a_rank_and_skip_non_students(analytics: Analytics) -> None:
    assert await rows(analytics, "leaderboard", limit=3) == [
        {"rank": 1, "user_id": 1, "display_name": "Ana", "points": 120},
        {"rank": 1, "user_id": 2, "display_name": "Binh", "points": 120},
        {"rank": 3, "user_id": 3, "display_name": "Chi", "points": 90},
    ]


async def test_student_behavior_pattern(analytics: Analytics) -> None:
    ana = [e for e in EVENTS if e.user_id == 1]
    hours = [0] * 24
    weekdays = [0] * 7
    for e in ana:
        hours[e.occurred_at.hour] += 1
        weekdays[e.occurred_at.weekday()] += 1
    # Session A runs 23:50 -> 00:10 (20 min), session E is one event (0 min): 10 min average.
    # Lesson activity: two events on ADVANCED course 2, one on BEGINNER course 1.
    assert await rows(analytics, "student_behavior_pattern", user_id=1) == [
        {
            "user_id": 1,
            "events": 4,
            "events_by_hour_utc": hours,
            "events_by_weekday": weekdays,
            "favourite_event_types": ["LESSON_COMPLETE", "LESSON_START", "LOGIN"],
            "sessions": 2,
            "avg_session_minutes": 10.0,
            "preferred_level": "ADVANCED",
        }
    ]


async def test_student_behavior_pattern_of_a_user_without_events_and_of_nobody(
    analytics: Analytics,
) -> None:
    assert await rows(analytics, "student_behavior_pattern", user_id=4) == [
        {
            "user_id": 4,
            "events": 0,
            "events_by_hour_utc": [0] * 24,
            "events_by_weekday": [0] * 7,
            "favourite_event_types": [],
            "sessions": 0,
            "avg_session_minutes": None,
            "preferred_level": None,
        }
    ]
    assert await rows(analytics, "student_behavior_pattern", user_id=999) == []


async def test_course_completion_by_level(analytics: Analytics) -> None:
    assert await rows(analytics, "course_completion_by_level") == [
        {
            "level": "BEGINNER",
            "published_courses": 1,
            "enrollments": 3,
            "completions": 1,
            "completion_rate": 0.3333,
        },
        {
            "level": "INTERMEDIATE",
            "published_courses": 1,
            "enrollments": 1,
            "completions": 0,
            "completion_rate": 0.0,
        },
        {
            "level": "ADVANCED",
            "published_courses": 1,
            "enrollments": 1,
            "completions": 0,
            "completion_rate": 0.0,
        },
    ]


async def test_at_risk_students(analytics: Analytics) -> None:
    # Ana averages (2/2 + 1/3) / 2 = 0.67 and Binh 0.5: not under 0.5. Chi: 0/2 and a course
    # without lessons, 0; last seen 15 days ago at 09:10.
    last = at(15, 9 + 10 / 60)
    days = (fixture.NOW - last) // timedelta(days=1)
    risk = round(0.6 * min(days / (2 * 7), 1) + 0.4, 4)
    assert await rows(analytics, "at_risk_students", inactive_days=7, limit=10) == [
        {
            "user_id": 3,
            "display_name": "Chi",
            "enrolled_courses": 2,
            "avg_progress": 0.0,
            "last_active_at": last,
            "days_inactive": days,
            "risk_score": risk,
        }
    ]
    assert await rows(analytics, "at_risk_students", inactive_days=30) == []


async def test_course_engagement_metrics(analytics: Analytics) -> None:
    assert await rows(analytics, "course_engagement_metrics", course_id=2) == [
        {
            "course_id": 2,
            "title": "Investing",
            "active_learners": 1,
            "events": 2,
            "events_per_learner": 2.0,
            "lessons": [
                {
                    "lesson_id": 3,
                    "position": 1,
                    "title": "Lesson 3",
                    "learners_started": 0,
                    "learners_completed": 0,
                    "events": 0,
                    "completion_rate": None,
                },
                {
                    "lesson_id": 4,
                    "position": 2,
                    "title": "Lesson 4",
                    "learners_started": 1,
                    "learners_completed": 0,
                    "events": 2,
                    "completion_rate": 0.0,
                },
                {
                    "lesson_id": 5,
                    "position": 3,
                    "title": "Lesson 5",
                    "learners_started": 0,
                    "learners_completed": 0,
                    "events": 0,
                    "completion_rate": None,
                },
            ],
        }
    ]
    assert await rows(analytics, "course_engagement_metrics", course_id=3) == [
        {
            "course_id": 3,
            "title": "Draft",
            "active_learners": 0,
            "events": 0,
            "events_per_learner": None,
            "lessons": [],
        }
    ]
    assert await rows(analytics, "course_engagement_metrics", course_id=999) == []


async def test_top_courses(analytics: Analytics) -> None:
    # Course 1: 3 enrollments, 1 completion, 3 events by 3 learners in 30 days. Courses 2 and 3
    # tie on 1 enrollment and 0 completions; course 2's 2 recent events put it ahead.
    assert await rows(analytics, "top_courses", limit=10) == [
        {
            "rank": 1,
            "course_id": 1,
            "title": "Budgeting",
            "level": "BEGINNER",
            "enrollments": 3,
            "completions": 1,
            "active_learners_30d": 3,
            "events_30d": 3,
        },
        {
            "rank": 2,
            "course_id": 2,
            "title": "Investing",
            "level": "ADVANCED",
            "enrollments": 1,
            "completions": 0,
            "active_learners_30d": 1,
            "events_30d": 2,
        },
        {
            "rank": 3,
            "course_id": 3,
            "title": "Draft",
            "level": "INTERMEDIATE",
            "enrollments": 1,
            "completions": 0,
            "active_learners_30d": 0,
            "events_30d": 0,
        },
    ]


async def test_gamification_effectiveness(analytics: Analytics) -> None:
    # Gamified: Ana (an achievement). Binh's streak row has longest 0, so he is not.
    # Ana: 2 enrollments, course 1 completed, 3 lessons done, active this month.
    # Others (Binh, Chi, Dung): 3 enrollments, none completed, 1 lesson done in all;
    # Binh and Chi active in 30 days, Dung never.
    assert await rows(analytics, "gamification_effectiveness") == [
        {
            "group": "gamified",
            "students": 1,
            "enrollments": 2,
            "course_completion_rate": 0.5,
            "avg_completed_lessons": 3.0,
            "active_30d_rate": 1.0,
        },
        {
            "group": "not_gamified",
            "students": 3,
            "enrollments": 3,
            "course_completion_rate": 0.0,
            "avg_completed_lessons": 0.33,
            "active_30d_rate": 0.6667,
        },
    ]


async def test_lesson_dropoff(analytics: Analytics) -> None:
    # Course 1: Ana finished it; Binh completed lesson 1 and Chi began it, both stopped there.
    assert await rows(analytics, "lesson_dropoff", course_id=1) == [
        {
            "position": 1,
            "lesson_id": 1,
            "title": "Lesson 1",
            "started": 3,
            "completed": 2,
            "stopped_here": 2,
            "dropoff_rate": 0.6667,
        },
        {
            "position": 2,
            "lesson_id": 2,
            "title": "Lesson 2",
            "started": 1,
            "completed": 1,
            "stopped_here": 0,
            "dropoff_rate": 0.0,
        },
    ]
    assert await rows(analytics, "lesson_dropoff", course_id=3) == []


async def test_engagement_stickiness(analytics: Analytics) -> None:
    # Active students in the 30 days to yesterday and to today: Ana, Binh, Chi.
    assert await rows(analytics, "engagement_stickiness", days=2) == [
        {"day": TODAY - timedelta(days=1), "dau": 2, "mau": 3, "stickiness": 0.6667},
        {"day": TODAY, "dau": 1, "mau": 3, "stickiness": 0.3333},
    ]


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
