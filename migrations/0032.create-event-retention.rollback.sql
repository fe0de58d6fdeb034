-- Rollback of 0032: no retention; 0031's partition maintenance and 0023's rebuild.
-- squawk-ignore-file ban-drop-table, ban-drop-function
-- Why: a rollback exists to drop exactly what its migration created.

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

CREATE OR REPLACE FUNCTION analytics.maintain_event_partitions(
    ahead integer DEFAULT 3, behind integer DEFAULT 12
) RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
RETURN analytics.create_event_partitions(
    now() - make_interval(months => behind), now() + make_interval(months => ahead)
);

CREATE OR REPLACE FUNCTION analytics.rebuild_event_rollups() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE analytics.behavior_log IN SHARE MODE;
    DELETE FROM analytics.event_queue;
    PERFORM analytics.rebuild_event_rollups_from_log();
END
$$;

DROP FUNCTION IF EXISTS analytics.drop_event_partitions(integer);
DROP TABLE IF EXISTS analytics.event_retention;
