-- Group roles and their grants. Runs after every `yoyo apply` that applied something;
-- idempotent: roles are created only when missing, grants are re-granted harmlessly.
--   vedb_owner     owns the schema objects: DDL and everything else
--   vedb_app       the API and ingest: read and write data, no DDL
--   vedb_readonly  analytics reads and NocoDB: SELECT only
--   vedb_monitor   the health checks: pg_monitor's statistics, sequence positions
-- Login roles (created by the deploy, with passwords from secrets) are granted one of these.

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

DO $$
DECLARE
    group_role text;
BEGIN
    FOREACH group_role IN ARRAY ARRAY['vedb_owner', 'vedb_app', 'vedb_readonly', 'vedb_monitor'] LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = group_role) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', group_role);
        END IF;
    END LOOP;
END
$$;

GRANT USAGE ON SCHEMA learning, gamification, social, analytics
    TO vedb_owner, vedb_app, vedb_readonly;
GRANT CREATE ON SCHEMA learning, gamification, social, analytics TO vedb_owner;

GRANT ALL ON ALL TABLES IN SCHEMA learning, gamification, social, analytics TO vedb_owner;
GRANT ALL ON ALL SEQUENCES IN SCHEMA learning, gamification, social, analytics TO vedb_owner;

GRANT SELECT, INSERT, UPDATE, DELETE
    ON ALL TABLES IN SCHEMA learning, gamification, social, analytics TO vedb_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA learning, gamification, social, analytics
    TO vedb_app;

GRANT SELECT ON ALL TABLES IN SCHEMA learning, gamification, social, analytics TO vedb_readonly;

-- Tables created later by the migrating role get the same grants without another apply.
ALTER DEFAULT PRIVILEGES IN SCHEMA learning, gamification, social, analytics
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO vedb_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA learning, gamification, social, analytics
    GRANT USAGE, SELECT ON SEQUENCES TO vedb_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA learning, gamification, social, analytics
    GRANT SELECT ON TABLES TO vedb_readonly;

-- `vedb health` and /api/admin/db-health read sequences' positions as vedb_monitor; its
-- pg_monitor membership needs a superuser (the deploy grants it, and a superuser here does).
GRANT USAGE ON SCHEMA learning, gamification, social, analytics TO vedb_monitor;
GRANT SELECT ON ALL SEQUENCES IN SCHEMA learning, gamification, social, analytics TO vedb_monitor;
ALTER DEFAULT PRIVILEGES IN SCHEMA learning, gamification, social, analytics
    GRANT SELECT ON SEQUENCES TO vedb_monitor;
DO $$
BEGIN
    IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        GRANT pg_monitor TO vedb_monitor;
    END IF;
END
$$;

-- /api/health reports the migration head, reading it as vedb_readonly.
GRANT SELECT ON TABLE _yoyo_migration TO vedb_readonly, vedb_app;

-- The rollup refresh (`vedb refresh`, the refresh timer) runs as the API's login.
DO $$
BEGIN
    IF to_regprocedure('analytics.catch_up_rollups()') IS NOT NULL THEN
        GRANT EXECUTE ON FUNCTION analytics.catch_up_rollups(), analytics.rebuild_rollups()
            TO vedb_app;
    END IF;
    -- `vedb refresh --full` recomputes points from the ledger (migration 0024).
    IF to_regprocedure('gamification.rebuild_user_points()') IS NOT NULL THEN
        GRANT EXECUTE ON FUNCTION gamification.rebuild_user_points() TO vedb_app;
    END IF;
    -- The API folds queued events into the rollups (migration 0023).
    IF to_regprocedure('analytics.fold_pending(boolean, bigint)') IS NOT NULL THEN
        GRANT EXECUTE ON FUNCTION analytics.fold_pending(boolean, bigint) TO vedb_app;
    END IF;
    -- The API's admin endpoint erases one user (migration 0027).
    IF to_regprocedure('analytics.forget_user(bigint)') IS NOT NULL THEN
        GRANT EXECUTE ON FUNCTION analytics.forget_user(bigint) TO vedb_app;
    END IF;
    -- `vedb refresh` makes the event log's next monthly partitions ahead (migration 0031).
    IF to_regprocedure('analytics.maintain_event_partitions(integer, integer)') IS NOT NULL THEN
        GRANT EXECUTE ON FUNCTION analytics.maintain_event_partitions(integer, integer) TO vedb_app;
        PERFORM analytics.maintain_event_partitions();
    END IF;
    -- ... and drops the months past events_retention_months, when it is set (migration 0032).
    IF to_regprocedure('analytics.drop_event_partitions(integer)') IS NOT NULL THEN
        GRANT EXECUTE ON FUNCTION analytics.drop_event_partitions(integer) TO vedb_app;
    END IF;
    -- ... and reorders the months that ended by student (migration 0034).
    IF to_regprocedure('analytics.reorder_event_month(regclass)') IS NOT NULL THEN
        GRANT EXECUTE ON FUNCTION analytics.reorder_event_month(regclass) TO vedb_app;
    END IF;
    -- Prometheus's postgres exporter reads the rollups' backlog (migration 0026).
    IF to_regprocedure('analytics.rollup_backlog()') IS NOT NULL THEN
        GRANT EXECUTE ON FUNCTION analytics.rollup_backlog() TO vedb_monitor;
    END IF;
END
$$;
