-- name: student_behavior_pattern
-- One student's rhythm: events by UTC hour and ISO weekday, top event types, sessions, preferred level.
-- version: 2
-- params: user_id int 1..
-- cache_ttl: 600
-- reads: learning.users, analytics.user_activity
WITH activity AS (
    SELECT coalesce(max(a.events), 0) AS events,
           coalesce(max(a.events_by_hour), array_fill(0::bigint, ARRAY[24])) AS by_hour,
           coalesce(max(a.events_by_weekday), array_fill(0::bigint, ARRAY[7])) AS by_weekday,
           max(a.events_by_type) AS by_type,
           max(a.lesson_events_by_level) AS by_level,
           coalesce(max(a.sessions), 0) AS sessions,
           max(a.session_minutes) / NULLIF(max(a.sessions), 0) AS avg_minutes
    FROM analytics.user_activity AS a
    WHERE a.user_id = :user_id
),
favourites AS (
    SELECT coalesce(array_agg(event_type ORDER BY events DESC, event_type), '{}') AS event_types
    FROM (
        SELECT t.event_type, t.events
        FROM activity AS a
        CROSS JOIN unnest(analytics.event_types(), a.by_type) AS t (event_type, events)
        WHERE t.events > 0
        ORDER BY t.events DESC, t.event_type
        LIMIT 3
    ) AS top
),
preferred AS (
    -- The level with the most lesson activity; a tie goes to the easier level.
    SELECT l.level
    FROM activity AS a
    CROSS JOIN unnest(analytics.levels(), a.by_level) WITH ORDINALITY AS l (level, events, position)
    WHERE l.events > 0
    ORDER BY l.events DESC, l.position
    LIMIT 1
)
SELECT u.id AS user_id,
       activity.events,
       activity.by_hour AS events_by_hour_utc,
       activity.by_weekday AS events_by_weekday,
       favourites.event_types AS favourite_event_types,
       activity.sessions,
       round(activity.avg_minutes, 2)::float8 AS avg_session_minutes,
       (SELECT level FROM preferred) AS preferred_level
FROM learning.users AS u
CROSS JOIN favourites
CROSS JOIN activity
WHERE u.id = :user_id
