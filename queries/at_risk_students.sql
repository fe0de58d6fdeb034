-- name: at_risk_students
-- Enrolled students under 50 % average progress with no event for :inactive_days days; risk_score = 0.6 * min(days_inactive / (2 * inactive_days), 1) + 0.4 * (1 - avg_progress), days counted from the last event (or first enrollment if none).
-- version: 2
-- params: inactive_days int 1..365 = 14, limit int 1..1000 = 50
-- cache_ttl: 600
-- reads: learning.users, analytics.student_summary
WITH scored AS (
    SELECT s.user_id,
           s.enrolled_courses,
           s.avg_progress,
           s.last_active_at,
           d.days_inactive,
           round(0.6 * least(d.days_inactive::numeric / (2 * :inactive_days), 1)
                 + 0.4 * (1 - s.avg_progress), 4)::float8 AS risk_score
    FROM analytics.student_summary AS s
    CROSS JOIN LATERAL (
        SELECT floor(extract(epoch FROM now() - coalesce(s.last_active_at, s.first_enrolled_at))
                     / 86400)::int AS days_inactive
    ) AS d
    WHERE s.avg_progress < 0.5
      AND d.days_inactive >= :inactive_days
    ORDER BY risk_score DESC, s.user_id
    LIMIT :limit
)
SELECT s.user_id,
       u.display_name,
       s.enrolled_courses,
       round(s.avg_progress, 4)::float8 AS avg_progress,
       s.last_active_at,
       s.days_inactive,
       s.risk_score
FROM scored AS s
JOIN learning.users AS u ON u.id = s.user_id
ORDER BY s.risk_score DESC, s.user_id
