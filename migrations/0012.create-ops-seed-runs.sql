-- Operations: a record of every `vedb seed` run, so the seeder can tell its own data from
-- data it did not make, and refuse to replace the latter.
-- depends: 0004.create-analytics-schema

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

CREATE SCHEMA IF NOT EXISTS ops;

CREATE TABLE IF NOT EXISTS ops.seed_runs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    profile text NOT NULL,
    seed bigint NOT NULL,
    anchor date NOT NULL,
    seeded_at timestamptz NOT NULL DEFAULT now(),
    -- Rows per table right after the run: any difference later means someone else's data.
    row_counts jsonb NOT NULL,
    CONSTRAINT seed_runs_profile_check CHECK (profile ~ '^[a-z][a-z0-9_]*$'),
    CONSTRAINT seed_runs_row_counts_check CHECK (jsonb_typeof(row_counts) = 'object')
);
