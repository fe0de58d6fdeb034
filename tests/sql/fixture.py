"""A small dataset written out by hand, relative to T = today's UTC midnight.

Students 1 Ana and 2 Binh tie on 120 points, 3 Chi has 90, 4 Dung has no events at all;
5 Tom is a teacher (more points, must not count as a student), 6 Eve an admin.
Points are written to the ledger only; its trigger (migration 0024) totals them per user.
Course 1 (BEGINNER, lessons 1-2), course 2 (ADVANCED, lessons 3-5), course 3 (INTERMEDIATE,
published, no lessons). Ana's session A runs from 23:50 yesterday to 00:10 today (UTC).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg

NOW = datetime.now(UTC)
T = NOW.replace(hour=0, minute=0, second=0, microsecond=0)


def at(days: int, hours: float = 0) -> datetime:
    """``days`` before T, plus ``hours``."""
    return T - timedelta(days=days) + timedelta(hours=hours)


USERS = [  # id, role, name, points, created_at
    (1, "STUDENT", "Ana", 120, at(20)),
    (2, "STUDENT", "Binh", 120, at(20)),
    (3, "STUDENT", "Chi", 90, at(10)),
    (4, "STUDENT", "Dung", 0, at(3)),
    (5, "TEACHER", "Tom", 500, at(60)),
    (6, "ADMIN", "Eve", 0, at(60)),
]
COURSES = [(1, "budgeting", "BEGINNER"), (2, "investing", "ADVANCED"), (3, "draft", "INTERMEDIATE")]
LESSONS = [(1, 1, 1), (2, 1, 2), (3, 2, 1), (4, 2, 2), (5, 2, 3)]  # id, course, position
ENROLLMENTS = [(1, 1, at(19)), (1, 2, at(18)), (2, 1, at(19)), (3, 1, at(9)), (3, 3, at(9))]
PROGRESS = [  # user, course, lesson, status, pct, started, completed
    (1, 1, 1, "COMPLETED", 100, at(19, 1), at(19, 2)),
    (1, 1, 2, "COMPLETED", 100, at(18, 19), at(18, 20)),
    (1, 2, 3, "COMPLETED", 100, at(17, 1), at(17, 2)),
    (1, 2, 4, "IN_PROGRESS", 50, at(1, 23 + 55 / 60), None),
    (2, 1, 1, "COMPLETED", 100, at(19, 3), at(19, 4)),
    (3, 1, 1, "IN_PROGRESS", 10, at(15, 9.1667), None),
]
LEDGER = [  # user, delta, reason: the totals in USERS, Binh's after a correction
    (1, 100, "LESSON_COMPLETED"),
    (1, 20, "ACHIEVEMENT"),
    (2, 130, "COURSE_COMPLETED"),
    (2, -10, "ADJUSTMENT"),
    (3, 90, "QUIZ_PASSED"),
    (5, 500, "ADJUSTMENT"),
]
SESSION = {name: uuid.uuid5(uuid.NAMESPACE_DNS, name) for name in "ABCDE"}


@dataclass(frozen=True)
class Event:
    user_id: int
    session: str
    event_type: str
    course_id: int | None
    lesson_id: int | None
    occurred_at: datetime


EVENTS = [
    Event(1, "A", "LOGIN", None, None, at(1, 23 + 50 / 60)),
    Event(1, "A", "LESSON_START", 2, 4, at(1, 23 + 55 / 60)),
    Event(1, "A", "VIDEO_PLAY", 2, 4, at(0, 10 / 60)),  # after UTC midnight, same session
    Event(2, "B", "LOGIN", None, None, at(1, 10)),
    Event(2, "B", "COURSE_VIEW", 1, None, at(1, 10 + 5 / 60)),
    Event(3, "C", "LOGIN", None, None, at(15, 9)),
    Event(3, "C", "LESSON_START", 1, 1, at(15, 9 + 10 / 60)),
    Event(5, "D", "LOGIN", None, None, at(1, 12)),  # a teacher: never an active student
    Event(1, "E", "LESSON_COMPLETE", 1, 2, at(18, 20)),
]
STUDENTS = {uid for uid, role, *_ in USERS if role == "STUDENT"}


def load(url: str) -> None:
    with psycopg.connect(url) as conn:
        for uid, role, name, _, created in USERS:
            conn.execute(
                "INSERT INTO learning.users (id, email, display_name, role, created_at)"
                " OVERRIDING SYSTEM VALUE VALUES (%s, %s, %s, %s, %s)",
                (uid, f"{name.lower()}@example.com", name, role, created),
            )
        # One statement, several rows per user: the trigger sums each user's rows.
        conn.execute(
            "INSERT INTO gamification.point_ledger (user_id, delta, reason, occurred_at)"
            " SELECT u, d, r, %s FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) AS l (u, d, r)",
            (at(1), *map(list, zip(*LEDGER, strict=True))),
        )
        for cid, slug, level in COURSES:
            conn.execute(
                "INSERT INTO learning.courses (id, slug, title, level, is_published, teacher_id,"
                " created_at) OVERRIDING SYSTEM VALUE VALUES (%s, %s, %s, %s, true, 5, %s)",
                (cid, slug, slug.title(), level, at(59)),
            )
        for lid, cid, position in LESSONS:
            conn.execute(
                "INSERT INTO learning.lessons (id, course_id, position, title, duration_minutes)"
                " OVERRIDING SYSTEM VALUE VALUES (%s, %s, %s, %s, 10)",
                (lid, cid, position, f"Lesson {lid}"),
            )
        conn.cursor().executemany(
            "INSERT INTO learning.enrollments VALUES (%s, %s, %s)", ENROLLMENTS
        )
        conn.cursor().executemany(
            "INSERT INTO learning.user_progress (user_id, course_id, lesson_id, status,"
            " progress_pct, started_at, completed_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            PROGRESS,
        )
        conn.execute(
            "INSERT INTO gamification.achievements (id, code, title) OVERRIDING SYSTEM VALUE"
            " VALUES (1, 'FIRST_LESSON', 'First')"
        )
        conn.execute("INSERT INTO gamification.user_achievements VALUES (1, 1, %s)", (at(19, 2),))
        conn.execute("INSERT INTO gamification.streaks VALUES (2, 0, 0, NULL)")  # not gamified
        conn.cursor().executemany(
            "INSERT INTO analytics.behavior_log (user_id, session_id, event_type, course_id,"
            " lesson_id, occurred_at) VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (
                    e.user_id,
                    SESSION[e.session],
                    e.event_type,
                    e.course_id,
                    e.lesson_id,
                    e.occurred_at,
                )
                for e in EVENTS
            ],
        )
        conn.execute("SELECT analytics.fold_pending()")  # what the API does every second
