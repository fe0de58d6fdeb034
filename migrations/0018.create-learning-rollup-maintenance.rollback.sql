-- Rollback of 0018: drops the learning triggers and their functions.
-- squawk-ignore-file ban-drop-function
-- Why: a rollback exists to drop exactly the functions its migration created.

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

DO $$
DECLARE
    source text;
BEGIN
    FOREACH source IN ARRAY ARRAY['learning.enrollments', 'learning.user_progress',
                                  'learning.lessons', 'gamification.user_achievements',
                                  'gamification.streaks'] LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS rollups_on_insert ON %s', source);
        EXECUTE format('DROP TRIGGER IF EXISTS rollups_on_update ON %s', source);
        EXECUTE format('DROP TRIGGER IF EXISTS rollups_on_delete ON %s', source);
    END LOOP;
END
$$;
DROP TRIGGER IF EXISTS users_inserted ON learning.users;
DROP TRIGGER IF EXISTS users_updated ON learning.users;
DROP TRIGGER IF EXISTS users_deleted ON learning.users;
DROP FUNCTION IF EXISTS analytics.rebuild_learning_rollups();
DROP FUNCTION IF EXISTS analytics.users_changed();
DROP FUNCTION IF EXISTS analytics.learning_changed();
DROP FUNCTION IF EXISTS analytics.refresh_students(bigint[]);
DROP FUNCTION IF EXISTS analytics.refresh_enrollments(bigint[], bigint[]);
DROP FUNCTION IF EXISTS analytics.enrollment_state(bigint[], bigint[]);
