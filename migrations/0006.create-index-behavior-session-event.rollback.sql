-- Rollback of 0006: drops behavior_log_session_event_idx without blocking writes.

SET lock_timeout = '1min';
-- No statement timeout: a CONCURRENTLY build cut short leaves an INVALID index behind.
SET statement_timeout = 0;

DROP INDEX CONCURRENTLY IF EXISTS analytics.behavior_log_session_event_idx;
