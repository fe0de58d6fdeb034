-- Behaviour by event type and time: recent events of one kind (logins, completions).
-- Built CONCURRENTLY, outside a transaction, so writes to analytics.behavior_log go on meanwhile.
-- depends: 0006.create-index-behavior-session-event
-- transactional: false

SET lock_timeout = '1min';
-- No statement timeout: a CONCURRENTLY build cut short leaves an INVALID index behind.
SET statement_timeout = 0;

CREATE INDEX CONCURRENTLY IF NOT EXISTS behavior_log_event_time_idx
    ON analytics.behavior_log (event_type, occurred_at DESC);
