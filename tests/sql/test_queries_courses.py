"""The course queries' exact rows on the hand-built fixture, worked out by hand in comments."""

from __future__ import annotations

from tests.sql.fixture import at
from tests.sql.test_queries import rows
from vedb.analytics.runner import Analytics


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
    # without lessons, 0; last seen at 09:10 on the UTC day 15 days before today: 15 days
    # inactive, whatever the time now (whole UTC days, version 3).
    last = at(15, 9 + 10 / 60)
    days = 15
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
