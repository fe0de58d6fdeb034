-- name: engagement_stickiness
-- DAU / MAU per UTC day over the last :days days; MAU counts students active in the 30 days ending that day.
-- version: 2
-- params: days int 1..90 = 30
-- cache_ttl: 600
-- reads: learning.users, analytics.behavior_log
WITH bounds AS (
    SELECT (now() AT TIME ZONE 'UTC')::date - (:days - 1) AS first_day,
           (now() AT TIME ZONE 'UTC')::date AS last_day
),
days AS (
    SELECT generate_series(b.first_day, b.last_day, interval '1 day')::date AS day
    FROM bounds AS b
),
active AS (
    SELECT DISTINCT (e.occurred_at AT TIME ZONE 'UTC')::date AS day, e.user_id
    FROM analytics.behavior_log AS e
    JOIN learning.users AS u ON u.id = e.user_id AND u.role = 'STUDENT'
    CROSS JOIN bounds AS b
    WHERE e.occurred_at >= (b.first_day - 29)::timestamp AT TIME ZONE 'UTC'
),
counts AS (
    SELECT d.day,
           count(DISTINCT a.user_id) FILTER (WHERE a.day = d.day) AS dau,
           count(DISTINCT a.user_id) AS mau
    FROM days AS d
    LEFT JOIN active AS a ON a.day > d.day - 30 AND a.day <= d.day
    GROUP BY d.day
)
SELECT day, dau, mau, round(dau::numeric / NULLIF(mau, 0), 4)::float8 AS stickiness
FROM counts
ORDER BY day
