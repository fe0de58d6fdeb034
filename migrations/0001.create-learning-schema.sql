-- Learning domain: users, courses, lessons, enrollments and per-lesson progress.
-- depends:

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

CREATE SCHEMA IF NOT EXISTS learning;

CREATE TABLE IF NOT EXISTS learning.users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL,
    display_name text NOT NULL,
    role text NOT NULL DEFAULT 'STUDENT',
    points bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email),
    -- Stored lowercased, so the UNIQUE above is case-insensitive without an expression index.
    CONSTRAINT users_email_check CHECK (email = lower(email) AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    CONSTRAINT users_display_name_check CHECK (length(display_name) BETWEEN 1 AND 100),
    CONSTRAINT users_role_check CHECK (role IN ('STUDENT', 'TEACHER', 'ADMIN')),
    CONSTRAINT users_points_check CHECK (points >= 0)
);

CREATE TABLE IF NOT EXISTS learning.courses (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug text NOT NULL,
    title text NOT NULL,
    level text NOT NULL,
    is_published boolean NOT NULL DEFAULT false,
    price numeric(10, 2) NOT NULL DEFAULT 0,
    teacher_id bigint REFERENCES learning.users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT courses_slug_key UNIQUE (slug),
    CONSTRAINT courses_slug_check CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    CONSTRAINT courses_title_check CHECK (length(title) BETWEEN 1 AND 200),
    CONSTRAINT courses_level_check CHECK (level IN ('BEGINNER', 'INTERMEDIATE', 'ADVANCED')),
    CONSTRAINT courses_price_check CHECK (price >= 0)
);

CREATE TABLE IF NOT EXISTS learning.lessons (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id bigint NOT NULL REFERENCES learning.courses (id) ON DELETE CASCADE,
    position bigint NOT NULL,
    title text NOT NULL,
    duration_minutes bigint NOT NULL,
    CONSTRAINT lessons_course_position_key UNIQUE (course_id, position),
    -- Target of the composite foreign keys that tie a lesson to its own course.
    CONSTRAINT lessons_course_id_id_key UNIQUE (course_id, id),
    CONSTRAINT lessons_position_check CHECK (position >= 1),
    CONSTRAINT lessons_title_check CHECK (length(title) BETWEEN 1 AND 200),
    CONSTRAINT lessons_duration_check CHECK (duration_minutes BETWEEN 1 AND 600)
);

CREATE TABLE IF NOT EXISTS learning.enrollments (
    user_id bigint NOT NULL REFERENCES learning.users (id) ON DELETE CASCADE,
    course_id bigint NOT NULL REFERENCES learning.courses (id) ON DELETE CASCADE,
    enrolled_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT enrollments_pkey PRIMARY KEY (user_id, course_id)
);

-- Why: the table is new and empty in this same transaction; no live data is locked.
-- squawk-ignore require-concurrent-index-creation
CREATE INDEX IF NOT EXISTS enrollments_course_idx ON learning.enrollments (course_id);

CREATE TABLE IF NOT EXISTS learning.user_progress (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL,
    course_id bigint NOT NULL,
    lesson_id bigint NOT NULL,
    status text NOT NULL DEFAULT 'NOT_STARTED',
    progress_pct numeric(5, 2) NOT NULL DEFAULT 0,
    started_at timestamptz,
    completed_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_progress_user_lesson_key UNIQUE (user_id, lesson_id),
    -- Progress only for a course the user is enrolled in, and only for that course's lessons.
    CONSTRAINT user_progress_enrollment_fkey FOREIGN KEY (user_id, course_id)
        REFERENCES learning.enrollments (user_id, course_id) ON DELETE CASCADE,
    CONSTRAINT user_progress_lesson_fkey FOREIGN KEY (course_id, lesson_id)
        REFERENCES learning.lessons (course_id, id) ON DELETE CASCADE,
    CONSTRAINT user_progress_status_check CHECK (status IN ('NOT_STARTED', 'IN_PROGRESS', 'COMPLETED')),
    CONSTRAINT user_progress_pct_check CHECK (progress_pct BETWEEN 0 AND 100),
    CONSTRAINT user_progress_completed_check CHECK (
        (status = 'COMPLETED') = (completed_at IS NOT NULL)
        AND (status <> 'COMPLETED' OR progress_pct = 100)
    ),
    CONSTRAINT user_progress_started_check CHECK (
        (status = 'NOT_STARTED') = (started_at IS NULL)
        AND (completed_at IS NULL OR completed_at >= started_at)
    )
);
