-- Rollback of 0015: drops behavior_log_client_event_key without blocking writes.

SET lock_timeout = '1min';
-- No statement timeout: a CONCURRENTLY build cut short leaves an INVALID index behind.
SET statement_timeout = 0;

DROP INDEX CONCURRENTLY IF EXISTS analytics.behavior_log_client_event_key;
