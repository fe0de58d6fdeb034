-- The per-course and per-lesson learner rollups by student. Their keys lead with the course
-- or the lesson, so taking one student out of them (`vedb forget`, and any deleted or
-- rewritten event: analytics.unfold_users) read the whole key: on `huge`, 107,330 pages of
-- course_learners' key for one student, 0.8 s of a 2 s erasure. With these, it reads the
-- student's rows only. Readers: unfold_users' sums and deletes of course_learners and
-- lesson_learners. Cost: one more index entry per learner row the fold inserts or moves
-- (course_learners' updates are never HOT anyway: last_active_day is indexed); measured in
-- docs/performance.md.
-- Built CONCURRENTLY, outside a transaction, so the fold goes on meanwhile.
-- depends: 0034.reorder-closed-event-months
-- transactional: false

SET lock_timeout = '1min';
-- No statement timeout: a CONCURRENTLY build cut short leaves an INVALID index behind.
SET statement_timeout = 0;

CREATE INDEX CONCURRENTLY IF NOT EXISTS course_learners_user_idx
    ON analytics.course_learners (user_id);

CREATE INDEX CONCURRENTLY IF NOT EXISTS lesson_learners_user_idx
    ON analytics.lesson_learners (user_id);
