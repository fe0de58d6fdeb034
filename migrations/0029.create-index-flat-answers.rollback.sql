-- Rollback of 0029: 0022's progress-only index back, the new ones dropped, without blocking writes.

SET lock_timeout = '1min';
-- No statement timeout: a CONCURRENTLY build cut short leaves an INVALID index behind.
SET statement_timeout = 0;

CREATE INDEX CONCURRENTLY IF NOT EXISTS student_summary_low_progress_idx
    ON analytics.student_summary (avg_progress)
    WHERE avg_progress < 0.5;
DROP INDEX CONCURRENTLY IF EXISTS analytics.student_summary_inactive_since_idx;
DROP INDEX CONCURRENTLY IF EXISTS analytics.student_summary_low_progress_user_idx;
DROP INDEX CONCURRENTLY IF EXISTS analytics.course_progress_rank_idx;
DROP STATISTICS IF EXISTS analytics.student_summary_inactive_since_stats;
