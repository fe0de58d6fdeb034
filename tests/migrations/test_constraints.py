"""Every CHECK, FOREIGN KEY and UNIQUE constraint that the domain relies on rejects a bad row.

Each case inserts one bad row into a database holding a small valid dataset, and asserts the
violation comes from the named constraint (not merely "some error").
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors

# Users 1 (student) and 2 (teacher), courses 1 and 2, lesson 1 in course 1 and lesson 2 in
# course 2; user 1 is enrolled in course 1 only. Ids are explicit: sequences survive rollbacks.
VALID_DATASET = """
INSERT INTO learning.users (id, email, display_name, role) OVERRIDING SYSTEM VALUE VALUES
    (1, 'ana@example.com', 'Ana', 'STUDENT'), (2, 'tom@example.com', 'Tom', 'TEACHER');
INSERT INTO learning.courses (id, slug, title, level, teacher_id) OVERRIDING SYSTEM VALUE VALUES
    (1, 'budgeting-101', 'Budgeting', 'BEGINNER', 2), (2, 'index-funds', 'Index funds', 'ADVANCED', 2);
INSERT INTO learning.lessons (id, course_id, position, title, duration_minutes)
    OVERRIDING SYSTEM VALUE VALUES (1, 1, 1, 'Why budget', 10), (2, 2, 1, 'What is an index', 15);
INSERT INTO learning.enrollments (user_id, course_id) VALUES (1, 1);
INSERT INTO learning.user_progress (user_id, course_id, lesson_id, status, progress_pct, started_at)
    VALUES (1, 1, 1, 'IN_PROGRESS', 40, now());
INSERT INTO gamification.achievements (id, code, title, points) OVERRIDING SYSTEM VALUE
    VALUES (1, 'FIRST_LESSON', 'First!', 10);
-- Generated ids must not collide with the explicit ones above.
SELECT setval(pg_get_serial_sequence(t, 'id'), 1000)
FROM unnest(ARRAY['learning.users', 'learning.courses', 'learning.lessons',
                  'gamification.achievements']) AS t;
INSERT INTO gamification.user_achievements (user_id, achievement_id) VALUES (1, 1);
INSERT INTO gamification.point_ledger (user_id, delta, reason) VALUES (1, 10, 'ACHIEVEMENT');
INSERT INTO gamification.streaks (user_id, current_days, longest_days, last_active_on)
    VALUES (1, 3, 5, current_date);
INSERT INTO social.friendships (requester_id, addressee_id) VALUES (1, 2);
INSERT INTO social.follows (follower_id, followee_id) VALUES (1, 2);
INSERT INTO analytics.behavior_log (user_id, session_id, event_type, course_id, lesson_id, occurred_at)
    VALUES (1, gen_random_uuid(), 'LESSON_START', 1, 1, now());
"""

USER = "INSERT INTO learning.users (email, display_name, role, points) VALUES "
COURSE = "INSERT INTO learning.courses (slug, title, level, price, teacher_id) VALUES "
LESSON = "INSERT INTO learning.lessons (course_id, position, title, duration_minutes) VALUES "
PROGRESS = (
    "INSERT INTO learning.user_progress "
    "(user_id, course_id, lesson_id, status, progress_pct, started_at, completed_at) VALUES "
)
EVENT = (
    "INSERT INTO analytics.behavior_log "
    "(user_id, session_id, event_type, course_id, lesson_id, occurred_at, payload) VALUES "
)

BAD_ROWS = [
    # learning.users
    ("users_email_check", USER + "('Ana@Example.com', 'A', 'STUDENT', 0)"),
    ("users_email_check", USER + "('not-an-email', 'A', 'STUDENT', 0)"),
    ("users_email_key", USER + "('ana@example.com', 'Ana 2', 'STUDENT', 0)"),
    ("users_role_check", USER + "('g@example.com', 'G', 'GUEST', 0)"),
    ("users_points_check", USER + "('p@example.com', 'P', 'STUDENT', -1)"),
    ("users_display_name_check", USER + "('e@example.com', '', 'STUDENT', 0)"),
    # learning.courses
    ("courses_slug_check", COURSE + "('Bad Slug', 'T', 'BEGINNER', 0, 2)"),
    ("courses_slug_key", COURSE + "('budgeting-101', 'T', 'BEGINNER', 0, 2)"),
    ("courses_level_check", COURSE + "('expert', 'T', 'EXPERT', 0, 2)"),
    ("courses_price_check", COURSE + "('cheap', 'T', 'BEGINNER', -0.01, 2)"),
    ("courses_teacher_id_fkey", COURSE + "('ghost', 'T', 'BEGINNER', 0, 999)"),
    # learning.lessons
    ("lessons_position_check", LESSON + "(1, 0, 'Zero', 10)"),
    ("lessons_course_position_key", LESSON + "(1, 1, 'Same place', 10)"),
    ("lessons_duration_check", LESSON + "(1, 2, 'Too short', 0)"),
    ("lessons_course_id_fkey", LESSON + "(999, 1, 'Orphan', 10)"),
    # learning.enrollments
    ("enrollments_pkey", "INSERT INTO learning.enrollments (user_id, course_id) VALUES (1, 1)"),
    ("enrollments_user_id_fkey", "INSERT INTO learning.enrollments VALUES (999, 1)"),
    ("enrollments_course_id_fkey", "INSERT INTO learning.enrollments VALUES (1, 999)"),
    # learning.user_progress: one row per user and lesson, enrolled, own course's lesson
    ("user_progress_user_lesson_key", PROGRESS + "(1, 1, 1, 'NOT_STARTED', 0, NULL, NULL)"),
    ("user_progress_enrollment_fkey", PROGRESS + "(1, 2, 2, 'NOT_STARTED', 0, NULL, NULL)"),
    ("user_progress_lesson_fkey", PROGRESS + "(1, 1, 2, 'NOT_STARTED', 0, NULL, NULL)"),
    ("user_progress_status_check", PROGRESS + "(2, 1, 1, 'DONE', 0, now(), NULL)"),
    ("user_progress_pct_check", PROGRESS + "(1, 1, 1, 'IN_PROGRESS', 100.5, now(), NULL)"),
    ("user_progress_completed_check", PROGRESS + "(1, 1, 1, 'COMPLETED', 100, now(), NULL)"),
    ("user_progress_completed_check", PROGRESS + "(1, 1, 1, 'COMPLETED', 50, now(), now())"),
    ("user_progress_started_check", PROGRESS + "(1, 1, 1, 'IN_PROGRESS', 10, NULL, NULL)"),
    (
        "user_progress_started_check",
        PROGRESS + "(1, 1, 1, 'COMPLETED', 100, now(), now() - interval '1 day')",
    ),
    # gamification
    (
        "point_ledger_delta_check",
        "INSERT INTO gamification.point_ledger (user_id, delta, reason) VALUES (1, 0, 'ADJUSTMENT')",
    ),
    (
        "point_ledger_reason_check",
        "INSERT INTO gamification.point_ledger (user_id, delta, reason) VALUES (1, 5, 'BRIBE')",
    ),
    (
        "point_ledger_user_id_fkey",
        "INSERT INTO gamification.point_ledger (user_id, delta, reason) VALUES (999, 5, 'ADJUSTMENT')",
    ),
    ("streaks_longest_check", "INSERT INTO gamification.streaks VALUES (2, 4, 3, current_date)"),
    ("streaks_current_check", "INSERT INTO gamification.streaks VALUES (2, -1, 0, current_date)"),
    ("streaks_active_check", "INSERT INTO gamification.streaks VALUES (2, 2, 2, NULL)"),
    ("streaks_pkey", "INSERT INTO gamification.streaks VALUES (1, 0, 0, NULL)"),
    (
        "achievements_code_check",
        "INSERT INTO gamification.achievements (code, title) VALUES ('first', 'x')",
    ),
    (
        "achievements_code_key",
        "INSERT INTO gamification.achievements (code, title) VALUES ('FIRST_LESSON', 'x')",
    ),
    (
        "achievements_points_check",
        "INSERT INTO gamification.achievements (code, title, points) VALUES ('NEG', 'x', -5)",
    ),
    (
        "user_achievements_pkey",
        "INSERT INTO gamification.user_achievements (user_id, achievement_id) VALUES (1, 1)",
    ),
    (
        "user_achievements_achievement_id_fkey",
        "INSERT INTO gamification.user_achievements (user_id, achievement_id) VALUES (2, 999)",
    ),
    # social
    (
        "friendships_not_self_check",
        "INSERT INTO social.friendships (requester_id, addressee_id) VALUES (1, 1)",
    ),
    (
        "friendships_pair_key",
        "INSERT INTO social.friendships (requester_id, addressee_id) VALUES (2, 1)",
    ),
    ("friendships_status_check", "INSERT INTO social.friendships VALUES (2, 1, 'MAYBE')"),
    (
        "friendships_addressee_id_fkey",
        "INSERT INTO social.friendships (requester_id, addressee_id) VALUES (1, 999)",
    ),
    (
        "follows_not_self_check",
        "INSERT INTO social.follows (follower_id, followee_id) VALUES (2, 2)",
    ),
    ("follows_pkey", "INSERT INTO social.follows (follower_id, followee_id) VALUES (1, 2)"),
    # analytics.behavior_log
    (
        "behavior_log_event_type_check",
        EVENT + "(1, gen_random_uuid(), 'HACK', NULL, NULL, now(), '{}')",
    ),
    ("behavior_log_lesson_check", EVENT + "(1, gen_random_uuid(), 'LOGIN', NULL, 1, now(), '{}')"),
    (
        "behavior_log_lesson_event_check",
        EVENT + "(1, gen_random_uuid(), 'LESSON_START', 1, NULL, now(), '{}')",
    ),
    (
        "behavior_log_lesson_fkey",
        EVENT + "(1, gen_random_uuid(), 'LESSON_START', 1, 2, now(), '{}')",
    ),
    (
        "behavior_log_payload_check",
        EVENT + "(1, gen_random_uuid(), 'LOGIN', NULL, NULL, now(), '[1]')",
    ),
    (
        "behavior_log_user_id_fkey",
        EVENT + "(999, gen_random_uuid(), 'LOGIN', NULL, NULL, now(), '{}')",
    ),
    (
        "behavior_log_course_id_fkey",
        EVENT + "(1, gen_random_uuid(), 'COURSE_VIEW', 999, NULL, now(), '{}')",
    ),
]


@pytest.fixture
def seeded(conn: psycopg.Connection[tuple[object, ...]]) -> psycopg.Connection[tuple[object, ...]]:
    conn.execute(VALID_DATASET)  # type: ignore[arg-type]
    return conn


def test_the_valid_dataset_is_accepted(seeded: psycopg.Connection[tuple[object, ...]]) -> None:
    row = seeded.execute("SELECT count(*) FROM analytics.behavior_log").fetchone()
    assert row == (1,)


@pytest.mark.parametrize(
    ("constraint", "statement"), BAD_ROWS, ids=[f"{c}-{i}" for i, (c, _) in enumerate(BAD_ROWS)]
)
def test_bad_row_is_rejected_by_its_constraint(
    seeded: psycopg.Connection[tuple[object, ...]], constraint: str, statement: str
) -> None:
    with pytest.raises(errors.IntegrityError) as caught, seeded.transaction():
        seeded.execute(statement)  # type: ignore[arg-type]
    assert caught.value.diag.constraint_name == constraint


def test_deleting_content_with_logged_events_is_refused(
    seeded: psycopg.Connection[tuple[object, ...]],
) -> None:
    """History is never erased silently: a course with events cannot be deleted."""
    with pytest.raises(errors.ForeignKeyViolation), seeded.transaction():
        seeded.execute("DELETE FROM learning.courses WHERE id = 1")


def test_deleting_a_user_erases_their_data(seeded: psycopg.Connection[tuple[object, ...]]) -> None:
    seeded.execute("DELETE FROM learning.users WHERE id = 1")
    left = seeded.execute(
        """
        SELECT (SELECT count(*) FROM analytics.behavior_log WHERE user_id = 1)
             + (SELECT count(*) FROM learning.user_progress WHERE user_id = 1)
             + (SELECT count(*) FROM gamification.point_ledger WHERE user_id = 1)
             + (SELECT count(*) FROM social.friendships WHERE requester_id = 1)
        """
    ).fetchone()
    assert left == (0,)
