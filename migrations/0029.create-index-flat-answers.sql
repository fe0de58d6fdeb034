-- The orders at_risk_students and top_courses read, so that each reads about :limit rows:
--   students under 50 % progress by the UTC day they were last seen, then progress (one
--   range per day of inactivity);
--   the same students by progress alone, with the id as the tie-break (the saturated ones);
--   courses by enrollments, then completions.
-- The second replaces 0022's progress-only index, whose ties came back in heap order.
-- The planner keeps no statistics for a partial index's expression; the extended statistics
-- on the day let it tell a handful of long-inactive students (read by day) from a crowd
-- (read in progress order).
-- Built CONCURRENTLY, outside a transaction, so the rollup triggers go on meanwhile.
-- depends: 0028.create-flat-answer-rollups
-- transactional: false

SET lock_timeout = '1min';
-- No statement timeout: a CONCURRENTLY build cut short leaves an INVALID index behind.
SET statement_timeout = 0;

CREATE INDEX CONCURRENTLY IF NOT EXISTS student_summary_inactive_since_idx
    ON analytics.student_summary (
        ((coalesce(last_active_at, first_enrolled_at) AT TIME ZONE 'UTC')::date),
        avg_progress,
        user_id
    )
    WHERE avg_progress < 0.5;

CREATE INDEX CONCURRENTLY IF NOT EXISTS student_summary_low_progress_user_idx
    ON analytics.student_summary (avg_progress, user_id)
    WHERE avg_progress < 0.5;

DROP INDEX CONCURRENTLY IF EXISTS analytics.student_summary_low_progress_idx;

CREATE INDEX CONCURRENTLY IF NOT EXISTS course_progress_rank_idx
    ON analytics.course_progress (enrollments, completed);

CREATE STATISTICS IF NOT EXISTS analytics.student_summary_inactive_since_stats
    ON ((coalesce(last_active_at, first_enrolled_at) AT TIME ZONE 'UTC')::date)
    FROM analytics.student_summary;
ANALYZE analytics.student_summary, analytics.course_progress;
