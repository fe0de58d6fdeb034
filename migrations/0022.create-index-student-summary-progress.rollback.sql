-- Rollback of 0022: drops student_summary_low_progress_idx without blocking writes.

SET lock_timeout = '1min';
-- No statement timeout: a CONCURRENTLY build cut short leaves an INVALID index behind.
SET statement_timeout = 0;

DROP INDEX CONCURRENTLY IF EXISTS analytics.student_summary_low_progress_idx;
