-- name: daily_active_users
-- Distinct active students per UTC day over the last :days days, today included; quiet days show 0.
-- version: 2
-- params: days int 1..365 = 30
-- cache_ttl: 300
-- reads: analytics.active_students_by_day
WITH bounds AS (
    SELECT (now() AT TIME ZONE 'UTC')::date - (:days - 1) AS first_day,
           (now() AT TIME ZONE 'UTC')::date AS last_day
),
days AS (
    SELECT generate_series(b.first_day, b.last_day, interval '1 day')::date AS day
    FROM bounds AS b
)
SELECT d.day, coalesce(a.active_students, 0) AS active_users
FROM days AS d
LEFT JOIN analytics.active_students_by_day AS a ON a.day = d.day
ORDER BY d.day
