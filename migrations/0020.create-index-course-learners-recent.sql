-- Indexes for top_courses: a course's learners by last active day, and course events by day.
-- Built CONCURRENTLY, outside a transaction, so ingest goes on meanwhile.
-- depends: 0019.create-rollup-rebuild
-- transactional: false

SET lock_timeout = '1min';
-- No statement timeout: a CONCURRENTLY build cut short leaves an INVALID index behind.
SET statement_timeout = 0;

CREATE INDEX CONCURRENTLY IF NOT EXISTS course_learners_recent_idx
    ON analytics.course_learners (course_id, last_active_day);

-- Course events by day: top_courses sums the last 30 days from the index alone.
CREATE INDEX CONCURRENTLY IF NOT EXISTS course_day_activity_day_idx
    ON analytics.course_day_activity (day) INCLUDE (course_id, events);
