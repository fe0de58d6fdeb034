-- Rollback of 0024: the ledger no longer moves learning.users.points; the points stay as they are.
-- squawk-ignore-file ban-drop-function
-- Why: a rollback exists to drop exactly the functions its migration created.

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

DROP TRIGGER IF EXISTS ledger_inserted ON gamification.point_ledger;
DROP TRIGGER IF EXISTS ledger_updated ON gamification.point_ledger;
DROP TRIGGER IF EXISTS ledger_deleted ON gamification.point_ledger;
DROP FUNCTION IF EXISTS gamification.rebuild_user_points();
DROP FUNCTION IF EXISTS gamification.ledger_changed();
DROP FUNCTION IF EXISTS gamification.add_points(bigint[], numeric[]);
