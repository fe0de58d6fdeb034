-- How far the rollups are behind, for Prometheus (the postgres exporter's vedb_rollup_backlog
-- query, monitoring/postgres-queries.yml): the events queued and not folded yet, and the age
-- of the oldest catch-up `vedb refresh` has not run. SECURITY DEFINER so that vedb_monitor
-- reads two numbers and no table data. The count stops at a million: a queue that long is an
-- alert already, and counting further would make every scrape slower as it grows.
-- depends: 0025.drop-unread-behavior-indexes

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

CREATE OR REPLACE FUNCTION analytics.rollup_backlog(
    OUT queued_events bigint, OUT stale_oldest_seconds double precision
)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT
        (SELECT count(*) FROM (SELECT FROM analytics.event_queue LIMIT 1000000) AS queued),
        coalesce(
            (SELECT extract(epoch FROM now() - min(queued_at)) FROM analytics.rollup_stale), 0
        )::double precision;
END;

-- Only vedb_monitor may call it (post-apply.sql grants it, once the group roles exist).
REVOKE ALL ON FUNCTION analytics.rollup_backlog() FROM PUBLIC;
