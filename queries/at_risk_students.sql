-- name: at_risk_students
-- Enrolled students under 50 % average progress with no event for :inactive_days days; risk_score = 0.6 * min(days_inactive / (2 * inactive_days), 1) + 0.4 * (1 - avg_progress), days counted from the last event (or first enrollment if none).
-- version: 2
-- params: inactive_days int 1..365 = 14, limit int 1..1000 = 50
-- cache_ttl: 600
-- reads: learning.users, analytics.student_summary
WITH saturated AS (
    -- Students inactive for 2 x :inactive_days or more score 0.6 + 0.4 * (1 - avg_progress),
    -- the most anyone with that progress can score. The :limit-th lowest progress among them
    -- therefore bounds the progress of everyone in the answer (plus rounding), so only
    -- students under that bound are scored.
    SELECT s.avg_progress
    FROM analytics.student_summary AS s
    WHERE s.avg_progress < 0.5
      AND coalesce(s.last_active_at, s.first_enrolled_at)
          <= now() - make_interval(secs => 2 * 86400 * :inactive_days)
    ORDER BY s.avg_progress
    LIMIT :limit
),
bound AS (
    SELECT CASE WHEN count(*) < :limit THEN 0.5 ELSE max(avg_progress) + 0.001 END AS max_progress
    FROM saturated
),
scored AS (
    SELECT s.user_id,
           s.enrolled_courses,
           s.avg_progress,
           s.last_active_at,
           d.days_inactive,
           round(0.6 * least(d.days_inactive::numeric / (2 * :inactive_days), 1)
                 + 0.4 * (1 - s.avg_progress), 4)::float8 AS risk_score
    FROM analytics.student_summary AS s
    -- Whole days since: a timestamp difference keeps its hours under a day, so its day field
    -- is floor(seconds / 86400), without numeric arithmetic on every candidate.
    CROSS JOIN LATERAL (
        SELECT extract(day FROM now() - coalesce(s.last_active_at, s.first_enrolled_at))::int
                   AS days_inactive
    ) AS d
    CROSS JOIN bound AS b
    WHERE s.avg_progress < 0.5
      AND s.avg_progress <= b.max_progress
      AND coalesce(s.last_active_at, s.first_enrolled_at)
          <= now() - make_interval(secs => 86400 * :inactive_days)
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
