-- Rollback of 0035: the learner rollups by student dropped, without blocking the fold.

SET lock_timeout = '1min';
SET statement_timeout = 0;

DROP INDEX CONCURRENTLY IF EXISTS analytics.course_learners_user_idx;
DROP INDEX CONCURRENTLY IF EXISTS analytics.lesson_learners_user_idx;
