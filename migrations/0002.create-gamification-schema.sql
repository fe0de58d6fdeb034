-- Gamification domain: the points ledger, daily streaks, achievements and who earned them.
-- depends: 0001.create-learning-schema

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

CREATE SCHEMA IF NOT EXISTS gamification;

CREATE TABLE IF NOT EXISTS gamification.point_ledger (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES learning.users (id) ON DELETE CASCADE,
    delta bigint NOT NULL,
    reason text NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT point_ledger_delta_check CHECK (delta <> 0),
    CONSTRAINT point_ledger_reason_check CHECK (
        reason IN ('LESSON_COMPLETED', 'COURSE_COMPLETED', 'QUIZ_PASSED', 'STREAK_BONUS',
                   'ACHIEVEMENT', 'ADJUSTMENT')
    )
);

-- Why: the table is new and empty in this same transaction; no live data is locked.
-- squawk-ignore require-concurrent-index-creation
CREATE INDEX IF NOT EXISTS point_ledger_user_idx ON gamification.point_ledger (user_id, occurred_at);

CREATE TABLE IF NOT EXISTS gamification.streaks (
    user_id bigint PRIMARY KEY REFERENCES learning.users (id) ON DELETE CASCADE,
    current_days bigint NOT NULL DEFAULT 0,
    longest_days bigint NOT NULL DEFAULT 0,
    last_active_on date,
    CONSTRAINT streaks_current_check CHECK (current_days >= 0),
    CONSTRAINT streaks_longest_check CHECK (longest_days >= current_days),
    CONSTRAINT streaks_active_check CHECK (current_days = 0 OR last_active_on IS NOT NULL)
);

CREATE TABLE IF NOT EXISTS gamification.achievements (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code text NOT NULL,
    title text NOT NULL,
    description text NOT NULL DEFAULT '',
    points bigint NOT NULL DEFAULT 0,
    CONSTRAINT achievements_code_key UNIQUE (code),
    CONSTRAINT achievements_code_check CHECK (code ~ '^[A-Z][A-Z0-9_]*$'),
    CONSTRAINT achievements_title_check CHECK (length(title) BETWEEN 1 AND 100),
    CONSTRAINT achievements_points_check CHECK (points >= 0)
);

CREATE TABLE IF NOT EXISTS gamification.user_achievements (
    user_id bigint NOT NULL REFERENCES learning.users (id) ON DELETE CASCADE,
    achievement_id bigint NOT NULL REFERENCES gamification.achievements (id) ON DELETE CASCADE,
    earned_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_achievements_pkey PRIMARY KEY (user_id, achievement_id)
);
