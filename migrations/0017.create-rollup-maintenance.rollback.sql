-- Rollback of 0017: drops the rollup triggers and functions (the tables go with 0016).
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
DROP TRIGGER IF EXISTS behavior_log_fold_events ON analytics.behavior_log;
DROP TRIGGER IF EXISTS behavior_log_rewritten ON analytics.behavior_log;
DROP FUNCTION IF EXISTS analytics.catch_up_rollups();
DROP FUNCTION IF EXISTS analytics.rebuild_rollups();
DROP FUNCTION IF EXISTS analytics.rebuild_learning_rollups();
DROP FUNCTION IF EXISTS analytics.rebuild_event_rollups();
DROP FUNCTION IF EXISTS analytics.rebuild_activity_counters();
DROP FUNCTION IF EXISTS analytics.events_rewritten();
DROP FUNCTION IF EXISTS analytics.users_changed();
DROP FUNCTION IF EXISTS analytics.learning_changed();
DROP FUNCTION IF EXISTS analytics.refresh_learning(bigint[], bigint[]);
DROP FUNCTION IF EXISTS analytics.enrollments_of(bigint[], bigint[]);
DROP FUNCTION IF EXISTS analytics.fold_events();
DROP FUNCTION IF EXISTS analytics.lock_rollups();
