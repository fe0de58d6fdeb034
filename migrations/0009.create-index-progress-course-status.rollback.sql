-- Rollback of 0009: drops user_progress_course_status_idx without blocking writes.

SET lock_timeout = '1min';
-- No statement timeout: a CONCURRENTLY build cut short leaves an INVALID index behind.
SET statement_timeout = 0;

DROP INDEX CONCURRENTLY IF EXISTS learning.user_progress_course_status_idx;
