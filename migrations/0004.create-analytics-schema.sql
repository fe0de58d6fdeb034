-- Analytics domain: the behaviour event log that every analytics query reads.
-- depends: 0001.create-learning-schema

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

CREATE SCHEMA IF NOT EXISTS analytics;

CREATE TABLE IF NOT EXISTS analytics.behavior_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES learning.users (id) ON DELETE CASCADE,
    session_id uuid NOT NULL,
    event_type text NOT NULL,
    -- No cascade from courses and lessons: deleting content must not silently erase history.
    course_id bigint REFERENCES learning.courses (id),
    lesson_id bigint,
    occurred_at timestamptz NOT NULL,
    payload jsonb NOT NULL DEFAULT '{}',
    CONSTRAINT behavior_log_lesson_fkey FOREIGN KEY (course_id, lesson_id)
        REFERENCES learning.lessons (course_id, id),
    CONSTRAINT behavior_log_event_type_check CHECK (
        event_type IN ('LOGIN', 'LOGOUT', 'COURSE_VIEW', 'COURSE_ENROLL', 'LESSON_START',
                       'LESSON_COMPLETE', 'QUIZ_SUBMIT', 'VIDEO_PLAY', 'VIDEO_PAUSE',
                       'ACHIEVEMENT_EARNED', 'POINTS_EARNED')
    ),
    CONSTRAINT behavior_log_lesson_check CHECK (lesson_id IS NULL OR course_id IS NOT NULL),
    CONSTRAINT behavior_log_lesson_event_check CHECK (
        event_type NOT IN ('LESSON_START', 'LESSON_COMPLETE', 'QUIZ_SUBMIT', 'VIDEO_PLAY', 'VIDEO_PAUSE')
        OR lesson_id IS NOT NULL
    ),
    CONSTRAINT behavior_log_payload_check CHECK (jsonb_typeof(payload) = 'object')
);
