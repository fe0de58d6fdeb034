-- Rollback of 0027: no erasure function; every delete of events queues a rebuild again.
-- squawk-ignore-file ban-drop-function
-- Why: a rollback exists to drop exactly the functions its migration created.

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

DROP FUNCTION IF EXISTS analytics.forget_user(bigint);

CREATE OR REPLACE FUNCTION analytics.events_rewritten() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics.rollup_stale (reason) VALUES (format('%s on analytics.behavior_log', TG_OP));
    RETURN NULL;
END
$$;
