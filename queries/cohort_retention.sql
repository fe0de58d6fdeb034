-- name: cohort_retention
-- Weekly signup cohorts (UTC weeks from Monday) of the last :weeks weeks x weeks since signup, as a share of the cohort.
-- version: 2
-- params: weeks int 1..52 = 8
-- cache_ttl: 900
-- reads: analytics.cohort_sizes, analytics.cohort_week_activity
WITH this_week AS (
    SELECT date_trunc('week', now() AT TIME ZONE 'UTC')::date AS monday
),
sizes AS (
    SELECT c.cohort_week, c.students AS cohort_size
    FROM analytics.cohort_sizes AS c
    CROSS JOIN this_week AS t
    WHERE c.cohort_week >= t.monday - 7 * (:weeks - 1)
),
grid AS (
    SELECT s.cohort_week, s.cohort_size, w.week_number
    FROM sizes AS s
    CROSS JOIN this_week AS t
    CROSS JOIN generate_series(0, :weeks - 1) AS w (week_number)
    WHERE s.cohort_week + 7 * w.week_number <= t.monday
)
SELECT g.cohort_week,
       g.cohort_size,
       g.week_number,
       coalesce(c.active_students, 0) AS active_users,
       round(coalesce(c.active_students, 0)::numeric / NULLIF(g.cohort_size, 0), 4)::float8
           AS retention
FROM grid AS g
LEFT JOIN analytics.cohort_week_activity AS c
    ON c.cohort_week = g.cohort_week AND c.week_number = g.week_number
ORDER BY g.cohort_week, g.week_number
