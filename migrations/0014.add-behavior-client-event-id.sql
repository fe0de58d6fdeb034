-- Ingest idempotency: the client's own id for each event, so a retried batch never duplicates.
-- Seeded and legacy events have none (NULL).
-- depends: 0013.create-view-enrollment-progress

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

ALTER TABLE analytics.behavior_log ADD COLUMN IF NOT EXISTS client_event_id uuid;
