-- Rollback of 0038: the learners' recent index again, and full pages at the next rebuild.
-- Built CONCURRENTLY, outside a transaction, so the fold goes on meanwhile.

-- squawk-ignore-file prefer-robust-stmts
-- Why: SET (fillfactor) and RESET are idempotent, so a rerun after a failure part way repeats
-- them harmlessly; the index statements say IF [NOT] EXISTS.

SET lock_timeout = '1min';
SET statement_timeout = 0;

CREATE INDEX CONCURRENTLY IF NOT EXISTS course_learners_recent_idx
    ON analytics.course_learners (course_id, last_active_day);

ALTER TABLE analytics.course_learners RESET (fillfactor);
ALTER TABLE analytics.lesson_learners RESET (fillfactor);
ALTER TABLE analytics.user_activity RESET (fillfactor);
ALTER TABLE analytics.user_day_activity RESET (fillfactor);
