-- name: monthly_active_users
-- Distinct active students per UTC calendar month over the last :months months, this one included.
-- version: 2
-- params: months int 1..24 = 6
-- cache_ttl: 900
-- reads: learning.users, analytics.behavior_log
WITH bounds AS (
    SELECT (date_trunc('month', now() AT TIME ZONE 'UTC')
            - make_interval(months => :months - 1))::date AS first_month,
           date_trunc('month', now() AT TIME ZONE 'UTC')::date AS last_month
),
months AS (
    SELECT generate_series(b.first_month, b.last_month, interval '1 month')::date AS month
    FROM bounds AS b
),
active AS (
    SELECT DISTINCT date_trunc('month', e.occurred_at AT TIME ZONE 'UTC')::date AS month, e.user_id
    FROM analytics.behavior_log AS e
    JOIN learning.users AS u ON u.id = e.user_id AND u.role = 'STUDENT'
    CROSS JOIN bounds AS b
    WHERE e.occurred_at >= b.first_month::timestamp AT TIME ZONE 'UTC'
)
SELECT m.month, count(a.user_id) AS active_users
FROM months AS m
LEFT JOIN active AS a ON a.month = m.month
GROUP BY m.month
ORDER BY m.month
