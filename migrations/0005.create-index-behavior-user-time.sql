-- Behaviour by user, newest first: a student's own timeline and last-seen lookups.
-- Built CONCURRENTLY, outside a transaction, so writes to analytics.behavior_log go on meanwhile.
-- depends: 0004.create-analytics-schema
-- transactional: false

SET lock_timeout = '1min';
-- No statement timeout: a CONCURRENTLY build cut short leaves an INVALID index behind.
SET statement_timeout = 0;

CREATE INDEX CONCURRENTLY IF NOT EXISTS behavior_log_user_time_idx
    ON analytics.behavior_log (user_id, occurred_at DESC);
