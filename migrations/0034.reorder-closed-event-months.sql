-- Closed months of the event log, reordered by student. Events arrive in time order, so one
-- student's events of a month sit one per page, among everyone else's: forgetting the
-- heaviest `huge` student read and dirtied about 31,000 pages (5 s), and so does anything that
-- reads or rewrites one student's events. A month that has ended is only appended to by late
-- events, so `vedb refresh` reorders it once, with CLUSTER on its (user_id, occurred_at DESC)
-- index: the same student's events then fill a few consecutive pages. TimescaleDB's reorder
-- policy does the same to its closed chunks. The index's pg_index.indisclustered marks a
-- month as done; late events after it are appended in arrival order, which costs little.
--   analytics.event_months_to_reorder(settled)  the months that ended `settled` ago or more
--                                                and are not reordered yet, newest first;
--   analytics.reorder_event_month(partition)     CLUSTERs one of them. It holds an ACCESS
--                                                EXCLUSIVE lock on that month's partition
--                                                for as long as it runs: folds and writes of
--                                                that month wait, ingest of other months goes
--                                                on. The caller sets lock_timeout, so it gives
--                                                way rather than queue everyone behind it.
-- Rows, ids and every answer stay as they are: only their place on disk changes.
-- depends: 0033.speed-up-rollup-rebuild

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

CREATE OR REPLACE FUNCTION analytics.event_months_to_reorder(settled interval DEFAULT '1 day')
RETURNS TABLE (month_partition regclass, month_end timestamptz, student_index name)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT m.oid::regclass, m.month_end, m.student_index
    FROM (
        SELECT c.oid, ix.relname AS student_index, x.indisclustered,
               substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''([^'']+)''\)')
                   ::timestamptz AS month_end
        FROM pg_inherits AS i
        JOIN pg_class AS c ON c.oid = i.inhrelid
        JOIN pg_index AS x ON x.indrelid = c.oid
        JOIN pg_class AS ix ON ix.oid = x.indexrelid
        JOIN pg_inherits AS xi ON xi.inhrelid = x.indexrelid
        WHERE i.inhparent = 'analytics.behavior_log'::regclass
          AND xi.inhparent = 'analytics.behavior_log_user_time_idx'::regclass
    ) AS m
    WHERE NOT m.indisclustered AND m.month_end <= now() - settled
    ORDER BY m.month_end DESC
$$;

-- SECURITY DEFINER: `vedb refresh` runs as the API's login, and CLUSTER needs the owner.
CREATE OR REPLACE FUNCTION analytics.reorder_event_month(month_partition regclass)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    student_index name;
BEGIN
    SELECT m.student_index INTO student_index
    FROM analytics.event_months_to_reorder(interval '0') AS m
    WHERE m.month_partition = reorder_event_month.month_partition;
    IF NOT FOUND THEN
        RAISE EXCEPTION '% is not an ended month of analytics.behavior_log still in arrival order',
            month_partition USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('CLUSTER %s USING %I', month_partition, student_index);
END
$$;
REVOKE ALL ON FUNCTION analytics.reorder_event_month(regclass) FROM PUBLIC;
