-- name: cohort_retention
-- Weekly signup cohorts (UTC weeks from Monday) of the last :weeks weeks x weeks since signup, as a share of the cohort.
-- version: 2
-- params: weeks int 1..52 = 8
-- cache_ttl: 900
-- reads: learning.users, analytics.behavior_log
WITH this_week AS (
    SELECT date_trunc('week', now() AT TIME ZONE 'UTC')::date AS monday
),
cohorts AS (
    SELECT u.id AS user_id, date_trunc('week', u.created_at AT TIME ZONE 'UTC')::date AS cohort_week
    FROM learning.users AS u
    CROSS JOIN this_week AS t
    WHERE u.role = 'STUDENT'
      AND u.created_at >= (t.monday - 7 * (:weeks - 1))::timestamp AT TIME ZONE 'UTC'
),
sizes AS (
    SELECT cohort_week, count(*) AS cohort_size
    FROM cohorts
    GROUP BY cohort_week
),
grid AS (
    SELECT s.cohort_week, s.cohort_size, w.week_number
    FROM sizes AS s
    CROSS JOIN this_week AS t
    CROSS JOIN generate_series(0, :weeks - 1) AS w (week_number)
    WHERE s.cohort_week + 7 * w.week_number <= t.monday
),
activity AS (
    SELECT DISTINCT c.cohort_week, c.user_id,
           ((e.occurred_at AT TIME ZONE 'UTC')::date - c.cohort_week) / 7 AS week_number
    FROM cohorts AS c
    JOIN analytics.behavior_log AS e ON e.user_id = c.user_id
    WHERE e.occurred_at >= c.cohort_week::timestamp AT TIME ZONE 'UTC'
)
SELECT g.cohort_week,
       g.cohort_size,
       g.week_number,
       count(a.user_id) AS active_users,
       round(count(a.user_id)::numeric / NULLIF(g.cohort_size, 0), 4)::float8 AS retention
FROM grid AS g
LEFT JOIN activity AS a ON a.cohort_week = g.cohort_week AND a.week_number = g.week_number
GROUP BY g.cohort_week, g.cohort_size, g.week_number
ORDER BY g.cohort_week, g.week_number
