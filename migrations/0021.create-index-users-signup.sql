-- Users by signup time: cohort_retention sizes the recent weekly cohorts without a full scan.
-- Built CONCURRENTLY, outside a transaction, so writes to learning.users go on meanwhile.
-- depends: 0020.create-index-course-learners-recent
-- transactional: false

SET lock_timeout = '1min';
-- No statement timeout: a CONCURRENTLY build cut short leaves an INVALID index behind.
SET statement_timeout = 0;

CREATE INDEX CONCURRENTLY IF NOT EXISTS users_created_at_idx
    ON learning.users (created_at) INCLUDE (role);
