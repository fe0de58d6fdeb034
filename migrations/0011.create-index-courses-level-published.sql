-- Courses by level and published flag: the catalogue's filters.
-- Built CONCURRENTLY, outside a transaction, so writes to learning.courses go on meanwhile.
-- depends: 0010.create-index-users-student-points
-- transactional: false

SET lock_timeout = '1min';
-- No statement timeout: a CONCURRENTLY build cut short leaves an INVALID index behind.
SET statement_timeout = 0;

CREATE INDEX CONCURRENTLY IF NOT EXISTS courses_level_published_idx
    ON learning.courses (level, is_published);
