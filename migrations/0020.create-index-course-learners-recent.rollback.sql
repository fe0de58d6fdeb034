-- Rollback of 0020: drops the top_courses indexes without blocking writes.

SET lock_timeout = '1min';
-- No statement timeout: a CONCURRENTLY build cut short leaves an INVALID index behind.
SET statement_timeout = 0;

DROP INDEX CONCURRENTLY IF EXISTS analytics.course_learners_recent_idx;
DROP INDEX CONCURRENTLY IF EXISTS analytics.course_day_activity_day_idx;
