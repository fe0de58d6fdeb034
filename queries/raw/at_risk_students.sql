-- name: at_risk_students
-- Enrolled students under 50 % average progress with no event for :inactive_days UTC days or more; risk_score = 0.6 * min(days_inactive / (2 * inactive_days), 1) + 0.4 * (1 - avg_progress), days_inactive = today's UTC date less the UTC date of the last event (or of the first enrollment if none); ranked by the unrounded score, then user_id.
-- version: 3
-- params: inactive_days int 1..365 = 14, limit int 1..1000 = 50
-- cache_ttl: 600
-- reads: learning.users, learning.enrollment_progress, analytics.behavior_log
WITH progress AS (
    SELECT ep.user_id,
           count(*) AS enrolled_courses,
           min(ep.enrolled_at) AS first_enrolled_at,
           -- A course without lessons has no progress to make: it counts as 0.
           avg(coalesce(ep.completed_lessons::numeric / NULLIF(ep.lessons, 0), 0)) AS avg_progress
    FROM learning.enrollment_progress AS ep
    JOIN learning.users AS u ON u.id = ep.user_id AND u.role = 'STUDENT'
    GROUP BY ep.user_id
),
scored AS (
    SELECT p.user_id,
           p.enrolled_courses,
           p.avg_progress,
           seen.last_active_at,
           (now() AT TIME ZONE 'UTC')::date
               - (coalesce(seen.last_active_at, p.first_enrolled_at) AT TIME ZONE 'UTC')::date
               AS days_inactive
    FROM progress AS p
    LEFT JOIN LATERAL (
        SELECT max(e.occurred_at) AS last_active_at
        FROM analytics.behavior_log AS e
        WHERE e.user_id = p.user_id
    ) AS seen ON true
    WHERE p.avg_progress < 0.5
)
SELECT s.user_id,
       u.display_name,
       s.enrolled_courses,
       round(s.avg_progress, 4)::float8 AS avg_progress,
       s.last_active_at,
       s.days_inactive,
       round(r.score, 4)::float8 AS risk_score
FROM scored AS s
CROSS JOIN LATERAL (
    SELECT 0.6 * least(s.days_inactive::numeric / (2 * :inactive_days), 1)
           + 0.4 * (1 - s.avg_progress) AS score
) AS r
JOIN learning.users AS u ON u.id = s.user_id
WHERE s.days_inactive >= :inactive_days
ORDER BY r.score DESC, s.user_id
LIMIT :limit
