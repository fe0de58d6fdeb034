-- Rollback of 0039: the index of course events by day again, and full pages at the next
-- rebuild. Built CONCURRENTLY, outside a transaction, so the fold goes on meanwhile.

-- squawk-ignore-file prefer-robust-stmts
-- Why: RESET is idempotent, so a rerun after a failure part way repeats it harmlessly; the
-- index statement says IF NOT EXISTS.

SET lock_timeout = '1min';
SET statement_timeout = 0;

CREATE INDEX CONCURRENTLY IF NOT EXISTS course_day_activity_day_idx
    ON analytics.course_day_activity (day) INCLUDE (course_id, events);

ALTER TABLE analytics.course_day_activity RESET (fillfactor);
