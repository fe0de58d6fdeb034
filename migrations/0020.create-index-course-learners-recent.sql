-- A course's learners by last activity: top_courses counts those active in the last 30 days.
-- Built CONCURRENTLY, outside a transaction, so ingest goes on meanwhile.
-- depends: 0019.create-rollup-rebuild
-- transactional: false

SET lock_timeout = '1min';
-- No statement timeout: a CONCURRENTLY build cut short leaves an INVALID index behind.
SET statement_timeout = 0;

CREATE INDEX CONCURRENTLY IF NOT EXISTS course_learners_recent_idx
    ON analytics.course_learners (course_id, last_active_day);
