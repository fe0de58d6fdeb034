-- name: monthly_active_users
-- Distinct active students per UTC calendar month over the last :months months, this one included.
-- version: 2
-- params: months int 1..24 = 6
-- cache_ttl: 900
-- reads: analytics.active_students_by_month
WITH bounds AS (
    SELECT (date_trunc('month', now() AT TIME ZONE 'UTC')
            - make_interval(months => :months - 1))::date AS first_month,
           date_trunc('month', now() AT TIME ZONE 'UTC')::date AS last_month
),
months AS (
    SELECT generate_series(b.first_month, b.last_month, interval '1 month')::date AS month
    FROM bounds AS b
)
SELECT m.month, coalesce(a.active_students, 0) AS active_users
FROM months AS m
LEFT JOIN analytics.active_students_by_month AS a ON a.month = m.month
ORDER BY m.month
