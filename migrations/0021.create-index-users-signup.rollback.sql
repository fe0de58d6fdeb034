-- Rollback of 0021: drops users_created_at_idx without blocking writes.

SET lock_timeout = '1min';
-- No statement timeout: a CONCURRENTLY build cut short leaves an INVALID index behind.
SET statement_timeout = 0;

DROP INDEX CONCURRENTLY IF EXISTS learning.users_created_at_idx;
