-- name: student_behavior_pattern
-- One student's rhythm: events by UTC hour and ISO weekday, top event types, sessions, preferred level.
-- version: 2
-- params: user_id int 1..
-- cache_ttl: 600
-- reads: learning.users, analytics.user_activity, analytics.user_events_by_hour, analytics.user_events_by_weekday, analytics.user_events_by_type, analytics.user_lesson_events_by_level
WITH by_hour AS (
    SELECT array_agg(coalesce(c.events, 0) ORDER BY h.hour) AS counts
    FROM generate_series(0, 23) AS h (hour)
    LEFT JOIN analytics.user_events_by_hour AS c ON c.user_id = :user_id AND c.hour = h.hour
),
by_weekday AS (
    SELECT array_agg(coalesce(c.events, 0) ORDER BY d.weekday) AS counts
    FROM generate_series(1, 7) AS d (weekday)
    LEFT JOIN analytics.user_events_by_weekday AS c ON c.user_id = :user_id AND c.isodow = d.weekday
),
favourites AS (
    SELECT coalesce(array_agg(event_type ORDER BY events DESC, event_type), '{}') AS event_types
    FROM (
        SELECT event_type, events
        FROM analytics.user_events_by_type
        WHERE user_id = :user_id
        ORDER BY events DESC, event_type
        LIMIT 3
    ) AS top
),
activity AS (
    SELECT coalesce(max(events), 0) AS events,
           coalesce(max(sessions), 0) AS sessions,
           max(session_minutes) / NULLIF(max(sessions), 0) AS avg_minutes
    FROM analytics.user_activity
    WHERE user_id = :user_id
),
preferred AS (
    -- The level with the most lesson activity; a tie goes to the easier level.
    SELECT level
    FROM analytics.user_lesson_events_by_level
    WHERE user_id = :user_id
    ORDER BY events DESC, array_position(ARRAY['BEGINNER', 'INTERMEDIATE', 'ADVANCED'], level)
    LIMIT 1
)
SELECT u.id AS user_id,
       activity.events,
       by_hour.counts AS events_by_hour_utc,
       by_weekday.counts AS events_by_weekday,
       favourites.event_types AS favourite_event_types,
       activity.sessions,
       round(activity.avg_minutes, 2)::float8 AS avg_session_minutes,
       (SELECT level FROM preferred) AS preferred_level
FROM learning.users AS u
CROSS JOIN by_hour
CROSS JOIN by_weekday
CROSS JOIN favourites
CROSS JOIN activity
WHERE u.id = :user_id
