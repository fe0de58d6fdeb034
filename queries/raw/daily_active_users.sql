-- name: daily_active_users
-- Distinct active students per UTC day over the last :days days, today included; quiet days show 0.
-- version: 2
-- params: days int 1..365 = 30
-- cache_ttl: 300
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
    WHERE e.occurred_at >= b.first_day::timestamp AT TIME ZONE 'UTC'
)
SELECT d.day, count(a.user_id) AS active_users
FROM days AS d
LEFT JOIN active AS a ON a.day = d.day
GROUP BY d.day
ORDER BY d.day
