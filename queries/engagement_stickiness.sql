-- name: engagement_stickiness
-- DAU / MAU per UTC day over the last :days days; MAU counts students active in the 30 days ending that day.
-- version: 2
-- params: days int 1..90 = 30
-- cache_ttl: 600
-- reads: analytics.active_students_by_day
WITH bounds AS (
    SELECT (now() AT TIME ZONE 'UTC')::date - (:days - 1) AS first_day,
           (now() AT TIME ZONE 'UTC')::date AS last_day
),
days AS (
    SELECT generate_series(b.first_day, b.last_day, interval '1 day')::date AS day
    FROM bounds AS b
),
counts AS (
    SELECT d.day,
           coalesce(a.active_students, 0) AS dau,
           coalesce(a.active_students_30d, 0) AS mau
    FROM days AS d
    LEFT JOIN analytics.active_students_by_day AS a ON a.day = d.day
)
SELECT day, dau, mau, round(dau::numeric / NULLIF(mau, 0), 4)::float8 AS stickiness
FROM counts
ORDER BY day
