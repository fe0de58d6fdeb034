-- Progress by user and status: a student's open and completed lessons.
-- Built CONCURRENTLY, outside a transaction, so writes to learning.user_progress go on meanwhile.
-- depends: 0007.create-index-behavior-event-time
-- transactional: false

SET lock_timeout = '1min';
-- No statement timeout: a CONCURRENTLY build cut short leaves an INVALID index behind.
SET statement_timeout = 0;

CREATE INDEX CONCURRENTLY IF NOT EXISTS user_progress_user_status_idx
    ON learning.user_progress (user_id, status);
