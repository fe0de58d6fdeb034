-- Rollback of 0007: drops behavior_log_event_time_idx without blocking writes.

SET lock_timeout = '1min';
-- No statement timeout: a CONCURRENTLY build cut short leaves an INVALID index behind.
SET statement_timeout = 0;

DROP INDEX CONCURRENTLY IF EXISTS analytics.behavior_log_event_time_idx;
