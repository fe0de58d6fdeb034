-- name: student_behavior_pattern
-- One student's rhythm: events by UTC hour and ISO weekday, top event types, sessions, preferred level.
-- version: 2
-- params: user_id int 1..
-- cache_ttl: 600
-- reads: learning.users, learning.courses, analytics.behavior_log
WITH events AS (
    SELECT e.event_type, e.session_id, e.occurred_at, e.course_id
    FROM analytics.behavior_log AS e
    WHERE e.user_id = :user_id
),
by_hour AS (
    SELECT array_agg(coalesce(c.n, 0) ORDER BY h.hour) AS counts
    FROM generate_series(0, 23) AS h (hour)
    LEFT JOIN (
        SELECT extract(hour FROM occurred_at AT TIME ZONE 'UTC')::int AS hour, count(*) AS n
        FROM events
        GROUP BY 1
    ) AS c ON c.hour = h.hour
),
by_weekday AS (
    SELECT array_agg(coalesce(c.n, 0) ORDER BY d.weekday) AS counts
    FROM generate_series(1, 7) AS d (weekday)
    LEFT JOIN (
        SELECT extract(isodow FROM occurred_at AT TIME ZONE 'UTC')::int AS weekday, count(*) AS n
        FROM events
        GROUP BY 1
    ) AS c ON c.weekday = d.weekday
),
favourites AS (
    SELECT coalesce(array_agg(event_type ORDER BY n DESC, event_type), '{}') AS event_types
    FROM (
        SELECT event_type, count(*) AS n
        FROM events
        GROUP BY event_type
        ORDER BY n DESC, event_type
        LIMIT 3
    ) AS top
),
sessions AS (
    SELECT count(*) AS sessions,
           avg(extract(epoch FROM last_at - first_at) / 60) AS avg_minutes
    FROM (
        SELECT session_id, min(occurred_at) AS first_at, max(occurred_at) AS last_at
        FROM events
        GROUP BY session_id
    ) AS s
),
preferred AS (
    -- The level with the most lesson activity; a tie goes to the easier level.
    SELECT c.level
    FROM events AS e
    JOIN learning.courses AS c ON c.id = e.course_id
    WHERE e.event_type IN ('LESSON_START', 'LESSON_COMPLETE', 'QUIZ_SUBMIT', 'VIDEO_PLAY', 'VIDEO_PAUSE')
    GROUP BY c.level
    ORDER BY count(*) DESC, array_position(ARRAY['BEGINNER', 'INTERMEDIATE', 'ADVANCED'], c.level)
    LIMIT 1
)
SELECT u.id AS user_id,
       (SELECT count(*) FROM events) AS events,
       by_hour.counts AS events_by_hour_utc,
       by_weekday.counts AS events_by_weekday,
       favourites.event_types AS favourite_event_types,
       sessions.sessions,
       round(sessions.avg_minutes, 2)::float8 AS avg_session_minutes,
       (SELECT level FROM preferred) AS preferred_level
FROM learning.users AS u
CROSS JOIN by_hour
CROSS JOIN by_weekday
CROSS JOIN favourites
CROSS JOIN sessions
WHERE u.id = :user_id
