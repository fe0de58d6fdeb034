"""Every catalogue query's exact rows on the hand-built fixture: the activity queries here,
the course queries in test_queries_courses, the empty database in test_queries_empty.

Literal expectations are worked out by hand in the comments; the ones that depend on today's
date (months, weeks, weekdays) are computed by plain Python over the same fixture lists.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from tests.sql.fixture import EVENTS, STUDENTS, USERS, T
from vedb.analytics.runner import Analytics

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


async def test_engagement_stickiness(analytics: Analytics) -> None:
    # Active students in the 30 days to yesterday and to today: Ana, Binh, Chi.
    assert await rows(analytics, "engagement_stickiness", days=2) == [
        {"day": TODAY - timedelta(days=1), "dau": 2, "mau": 3, "stickiness": 0.6667},
        {"day": TODAY, "dau": 1, "mau": 3, "stickiness": 0.3333},
    ]
