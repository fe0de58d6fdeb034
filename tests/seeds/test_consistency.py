"""The seeded data obeys the domain's rules, checked with SQL on real seeded databases."""

from __future__ import annotations

import psycopg
import pytest

from tests.seeds.conftest import ANCHOR

# Each query counts rows that break a rule: every one must find none.
VIOLATIONS = {
    "event before its user signed up": """
        SELECT count(*) FROM analytics.behavior_log e JOIN learning.users u ON u.id = e.user_id
        WHERE e.occurred_at < u.created_at""",
    "enrollment, progress, points or achievement before signup": """
        SELECT (SELECT count(*) FROM learning.enrollments x JOIN learning.users u ON u.id = x.user_id
                WHERE x.enrolled_at < u.created_at)
             + (SELECT count(*) FROM learning.user_progress x JOIN learning.users u ON u.id = x.user_id
                WHERE x.started_at < u.created_at)
             + (SELECT count(*) FROM gamification.point_ledger x JOIN learning.users u ON u.id = x.user_id
                WHERE x.occurred_at < u.created_at)
             + (SELECT count(*) FROM gamification.user_achievements x
                JOIN learning.users u ON u.id = x.user_id WHERE x.earned_at < u.created_at)""",
    "lesson event for a course the user is not enrolled in": """
        SELECT count(*) FROM analytics.behavior_log e
        WHERE e.lesson_id IS NOT NULL AND NOT EXISTS (
            SELECT FROM learning.enrollments x WHERE x.user_id = e.user_id AND x.course_id = e.course_id)""",
    "lesson event before the enrollment": """
        SELECT count(*) FROM analytics.behavior_log e
        JOIN learning.enrollments x ON x.user_id = e.user_id AND x.course_id = e.course_id
        WHERE e.lesson_id IS NOT NULL AND e.occurred_at < x.enrolled_at""",
    "completed progress without its LESSON_COMPLETE event at completed_at": """
        SELECT count(*) FROM learning.user_progress p
        WHERE p.status = 'COMPLETED' AND NOT EXISTS (
            SELECT FROM analytics.behavior_log e
            WHERE e.user_id = p.user_id AND e.lesson_id = p.lesson_id
              AND e.event_type = 'LESSON_COMPLETE' AND e.occurred_at = p.completed_at)""",
    "LESSON_COMPLETE event without completed progress": """
        SELECT count(*) FROM analytics.behavior_log e
        WHERE e.event_type = 'LESSON_COMPLETE' AND NOT EXISTS (
            SELECT FROM learning.user_progress p
            WHERE p.user_id = e.user_id AND p.lesson_id = e.lesson_id AND p.status = 'COMPLETED')""",
    "started lesson whose progress disagrees with its first LESSON_START": """
        SELECT count(*) FROM (
            SELECT user_id, lesson_id, min(occurred_at) AS first_start FROM analytics.behavior_log
            WHERE event_type = 'LESSON_START' GROUP BY 1, 2) s
        FULL JOIN learning.user_progress p USING (user_id, lesson_id)
        WHERE p.started_at IS DISTINCT FROM s.first_start""",
    "points differ from the ledger sum": """
        SELECT count(*) FROM learning.users u
        LEFT JOIN (SELECT user_id, sum(delta) AS total FROM gamification.point_ledger GROUP BY 1) l
            ON l.user_id = u.id
        WHERE u.points <> coalesce(l.total, 0)""",
    "achievement without its ledger entry and event": """
        SELECT count(*) FROM gamification.user_achievements a
        WHERE NOT EXISTS (SELECT FROM gamification.point_ledger l WHERE l.user_id = a.user_id
                          AND l.reason = 'ACHIEVEMENT' AND l.occurred_at = a.earned_at)
           OR NOT EXISTS (SELECT FROM analytics.behavior_log e WHERE e.user_id = a.user_id
                          AND e.event_type = 'ACHIEVEMENT_EARNED' AND e.occurred_at = a.earned_at)""",
    "activity by teachers or admins, or on unpublished courses": """
        SELECT (SELECT count(*) FROM analytics.behavior_log e JOIN learning.users u ON u.id = e.user_id
                WHERE u.role <> 'STUDENT')
             + (SELECT count(*) FROM learning.enrollments x JOIN learning.courses c ON c.id = x.course_id
                WHERE NOT c.is_published)""",
    "streak longer than the distinct active days": """
        SELECT count(*) FROM gamification.streaks s
        WHERE s.longest_days > (SELECT count(DISTINCT (e.occurred_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date)
                                FROM analytics.behavior_log e WHERE e.user_id = s.user_id)""",
}


@pytest.mark.parametrize("rule", VIOLATIONS)
def test_no_row_breaks_the_rule(seeded_db: str, rule: str) -> None:
    with psycopg.connect(seeded_db) as conn:
        row = conn.execute(VIOLATIONS[rule]).fetchone()  # type: ignore[arg-type]
    assert row == (0,), rule


def test_nothing_happens_after_the_anchor(seeded_db: str) -> None:
    with psycopg.connect(seeded_db) as conn:
        row = conn.execute(
            "SELECT max(occurred_at) < %s::date, min(occurred_at) > %s::date - 400"
            " FROM analytics.behavior_log",
            (ANCHOR, ANCHOR),
        ).fetchone()
    assert row == (True, True)


@pytest.mark.parametrize(
    ("fixture", "users", "courses", "events"),
    [("demo_db", 200, 25, 6_000), ("load_db", 20_000, 200, 1_000_000)],
)
def test_profile_sizes(
    request: pytest.FixtureRequest, fixture: str, users: int, courses: int, events: int
) -> None:
    with psycopg.connect(request.getfixturevalue(fixture)) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM learning.users), (SELECT count(*) FROM learning.courses),"
            " (SELECT count(*) FROM analytics.behavior_log)"
        ).fetchone()
    assert row is not None
    assert row[0] == users and row[1] == courses
    assert events * 0.9 <= int(row[2]) <= events * 1.2  # type: ignore[call-overload]
