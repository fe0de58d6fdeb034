-- Progress by course and status: completion funnels per course.
-- Built CONCURRENTLY, outside a transaction, so writes to learning.user_progress go on meanwhile.
-- depends: 0008.create-index-progress-user-status
-- transactional: false

SET lock_timeout = '1min';
-- No statement timeout: a CONCURRENTLY build cut short leaves an INVALID index behind.
SET statement_timeout = 0;

CREATE INDEX CONCURRENTLY IF NOT EXISTS user_progress_course_status_idx
    ON learning.user_progress (course_id, status);
