-- The fold's updates of the per-student rollups become HOT (heap-only) updates, which write
-- the row's own heap page and no index page:
--   * course_learners_recent_idx (course_id, last_active_day, 0020) goes: its reader was
--     top_courses, which counts active learners from analytics.course_learner_days since
--     0028 (on `huge`, never scanned). While it stood, every fold update of a learner row
--     changed an indexed column (last_active_day), so none could be HOT.
--   * the rollups the fold updates leave room on each page (fillfactor) for the rows' next
--     versions: a full page, as the full rebuild writes them, sends every update to another
--     page and adds an entry to each of the table's indexes.
-- On `huge` the fold dirtied about five random pages per learner row (two heap pages, three
-- index leaves); with HOT it dirties the row's page, which it shares with the student's other
-- rows (0036). Fewer dirty pages mean less to write and fewer full-page images in the WAL
-- after each checkpoint: measured in docs/performance.md.
-- The room appears as the tables are next written in full (`vedb refresh --full`, a seed);
-- until then pages keep what they have.
-- Built CONCURRENTLY, outside a transaction, so the fold goes on meanwhile.
-- depends: 0037.create-level-progress
-- transactional: false

-- squawk-ignore-file prefer-robust-stmts
-- Why: SET (fillfactor) and RESET are idempotent, so a rerun after a failure part way repeats
-- them harmlessly; the index statements say IF [NOT] EXISTS.

SET lock_timeout = '1min';
SET statement_timeout = 0;

DROP INDEX CONCURRENTLY IF EXISTS analytics.course_learners_recent_idx;

-- Rows of about 60 bytes: 20 % is room for about 25 new versions a page, as many as one
-- student's busiest fold writes to the page their rows share.
ALTER TABLE analytics.course_learners SET (fillfactor = 80);
ALTER TABLE analytics.lesson_learners SET (fillfactor = 80);
-- One row per student of about 450 bytes: 15 % is room for two or three new versions.
ALTER TABLE analytics.user_activity SET (fillfactor = 85);
-- Mostly new days, appended; the same day's next events update in place.
ALTER TABLE analytics.user_day_activity SET (fillfactor = 90);
