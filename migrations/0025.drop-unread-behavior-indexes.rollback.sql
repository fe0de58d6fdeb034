-- Rollback of 0025: builds the two indexes again, without blocking writes.

SET lock_timeout = '1min';
-- No statement timeout: a CONCURRENTLY build cut short leaves an INVALID index behind.
SET statement_timeout = 0;

CREATE INDEX CONCURRENTLY IF NOT EXISTS behavior_log_session_event_idx
    ON analytics.behavior_log (session_id, event_type);
CREATE INDEX CONCURRENTLY IF NOT EXISTS behavior_log_event_time_idx
    ON analytics.behavior_log (event_type, occurred_at DESC);
