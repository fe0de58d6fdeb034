-- Behaviour by session and event type: session lengths and per-session funnels.
-- Built CONCURRENTLY, outside a transaction, so writes to analytics.behavior_log go on meanwhile.
-- depends: 0005.create-index-behavior-user-time
-- transactional: false

SET lock_timeout = '1min';
-- No statement timeout: a CONCURRENTLY build cut short leaves an INVALID index behind.
SET statement_timeout = 0;

CREATE INDEX CONCURRENTLY IF NOT EXISTS behavior_log_session_event_idx
    ON analytics.behavior_log (session_id, event_type);
