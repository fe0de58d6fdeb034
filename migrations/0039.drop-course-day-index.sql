-- course_day_activity's updates can be HOT too (see 0038): course_day_activity_day_idx
-- (day) INCLUDE (course_id, events), from 0020, goes. Its reader was top_courses' sum of every
-- course's last 30 days; since 0028 top_courses reads only its candidate courses, through the
-- key (course_id, day), and the index was never scanned on `huge`. While it stood, every
-- update moved an indexed column (events, included), so none could be HOT: forgetting the
-- heaviest `huge` student updated about 4,000 of its (course, day) rows, each a random page
-- plus an entry in both indexes (473 ms of a 766 ms erasure). The fold's updates of today's
-- rows were not HOT either.
-- Each page keeps room for new versions from the table's next full rewrite (`vedb refresh
-- --full`, a seed).
-- depends: 0038.make-fold-updates-hot
-- transactional: false

-- squawk-ignore-file prefer-robust-stmts
-- Why: SET (fillfactor) is idempotent, so a rerun after a failure part way repeats it
-- harmlessly; the index statement says IF EXISTS.

SET lock_timeout = '1min';
SET statement_timeout = 0;

DROP INDEX CONCURRENTLY IF EXISTS analytics.course_day_activity_day_idx;

ALTER TABLE analytics.course_day_activity SET (fillfactor = 90);
