-- Drops the event log's two indexes no reader uses since the rollups (migrations 0016-0023):
-- (session_id, event_type) from 0006 and (event_type, occurred_at) from 0007. Sessions come
-- from analytics.user_sessions and event counts from the rollups; the rollup rebuild reads the
-- whole log. On `scale`, after the benches and a locust run, `vedb health` found both never
-- scanned, at 423 MB and 443 MB, while every ingested event paid to maintain them.
-- What is left on the log: its key, (user_id, occurred_at) from 0005, and client_event_id
-- for ingest's idempotency. The rollback builds both again.
-- Dropped CONCURRENTLY, outside a transaction, so writes to analytics.behavior_log go on.
-- depends: 0024.maintain-user-points
-- transactional: false

SET lock_timeout = '1min';
SET statement_timeout = 0;

DROP INDEX CONCURRENTLY IF EXISTS analytics.behavior_log_session_event_idx;
DROP INDEX CONCURRENTLY IF EXISTS analytics.behavior_log_event_time_idx;
