-- Retention of the event log: whole months dropped, never a DELETE. `vedb refresh` calls
-- analytics.drop_event_partitions(N) when events_retention_months = N is set (group_data; off
-- by default): it drops the partitions of months before the current one and the N before it.
-- Dropping a partition fires no trigger, so the rollups keep the history those months had:
-- every answer stays as it was. What the log no longer holds cannot be rebuilt, though:
--   analytics.event_retention      the horizon, the oldest moment the log still holds
--                                  (no row while nothing was dropped);
--   analytics.rebuild_event_rollups() (0023) refuses after a drop, because it would rebuild
--                                  the event rollups from the months kept only, unless the
--                                  transaction says vedb.discard_dropped_history = on
--                                  (`vedb refresh --full --discard-dropped-history`);
--   analytics.maintain_event_partitions() (0031) makes no partition before the horizon.
-- depends: 0031.partition-behavior-log

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

CREATE TABLE IF NOT EXISTS analytics.event_retention (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    horizon timestamptz NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);

-- Drops the partitions of months that ended before the start of the month `months` months
-- before the current (UTC) one, and returns their names. Everything queued is folded first,
-- so a month's events go and their counts stay. SECURITY DEFINER: `vedb refresh` runs as the
-- API's login, which does not own the log.
CREATE OR REPLACE FUNCTION analytics.drop_event_partitions(months integer) RETURNS text[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    horizon timestamptz;
    dropped text[] := '{}';
    part record;
BEGIN
    IF months IS NULL OR months < 1 THEN
        RAISE EXCEPTION 'drop_event_partitions: keep 1 month or more, not %', months
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    horizon := (date_trunc('month', now() AT TIME ZONE 'UTC') - make_interval(months => months))
        AT TIME ZONE 'UTC';
    PERFORM analytics.fold_pending();
    FOR part IN
        SELECT c.oid::regclass::text AS name,
               substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''([^'']+)''\)')::timestamptz
                   AS upper_bound
        FROM pg_inherits AS i
        JOIN pg_class AS c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'analytics.behavior_log'::regclass
        ORDER BY 2
    LOOP
        EXIT WHEN part.upper_bound > horizon;
        EXECUTE format('DROP TABLE %s', part.name);
        dropped := dropped || part.name;
    END LOOP;
    IF cardinality(dropped) > 0 THEN
        INSERT INTO analytics.event_retention AS r (horizon) VALUES (horizon)
        ON CONFLICT (only_row) DO UPDATE
        SET horizon = greatest(r.horizon, EXCLUDED.horizon), changed_at = now();
    END IF;
    RETURN dropped;
END
$$;
REVOKE ALL ON FUNCTION analytics.drop_event_partitions(integer) FROM PUBLIC;

-- 0031's, never before the horizon: retention would drop what it made, every refresh.
CREATE OR REPLACE FUNCTION analytics.maintain_event_partitions(
    ahead integer DEFAULT 3, behind integer DEFAULT 12
) RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
RETURN analytics.create_event_partitions(
    greatest(
        now() - make_interval(months => behind),
        (SELECT r.horizon FROM analytics.event_retention AS r)
    ),
    now() + make_interval(months => ahead)
);

-- 0023's, refusing to rebuild over dropped months unless told to.
CREATE OR REPLACE FUNCTION analytics.rebuild_event_rollups() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    horizon timestamptz := (SELECT r.horizon FROM analytics.event_retention AS r);
BEGIN
    IF horizon IS NOT NULL
       AND coalesce(current_setting('vedb.discard_dropped_history', true), '') <> 'on' THEN
        RAISE EXCEPTION 'the event rollups cannot be rebuilt without losing history: the log '
                        'holds no event before % (retention dropped those months)', horizon
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'vedb refresh --full --discard-dropped-history rebuilds them from the '
                         'months kept; answers about earlier months then count nothing.';
    END IF;
    LOCK TABLE analytics.behavior_log IN SHARE MODE;
    DELETE FROM analytics.event_queue;
    PERFORM analytics.rebuild_event_rollups_from_log();
END
$$;
