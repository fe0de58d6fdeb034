-- Leaderboard: students by points, a partial index that skips teachers and admins.
-- Built CONCURRENTLY, outside a transaction, so writes to learning.users go on meanwhile.
-- depends: 0009.create-index-progress-course-status
-- transactional: false

SET lock_timeout = '1min';
-- No statement timeout: a CONCURRENTLY build cut short leaves an INVALID index behind.
SET statement_timeout = 0;

CREATE INDEX CONCURRENTLY IF NOT EXISTS users_student_points_idx
    ON learning.users (points DESC, id)
    WHERE role = 'STUDENT';
