-- One event per client event id: the target of ingest's ON CONFLICT DO NOTHING.
-- Built CONCURRENTLY, outside a transaction, so writes to analytics.behavior_log go on meanwhile.
-- depends: 0014.add-behavior-client-event-id
-- transactional: false

SET lock_timeout = '1min';
-- No statement timeout: a CONCURRENTLY build cut short leaves an INVALID index behind.
SET statement_timeout = 0;

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS behavior_log_client_event_key
    ON analytics.behavior_log (client_event_id)
    WHERE client_event_id IS NOT NULL;
