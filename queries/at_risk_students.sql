-- name: at_risk_students
-- Enrolled students under 50 % average progress with no event for :inactive_days UTC days or more; risk_score = 0.6 * min(days_inactive / (2 * inactive_days), 1) + 0.4 * (1 - avg_progress), days_inactive = today's UTC date less the UTC date of the last event (or of the first enrollment if none); ranked by the unrounded score, then user_id.
-- version: 3
-- params: inactive_days int 1..365 = 14, limit int 1..1000 = 50
-- cache_ttl: 600
-- reads: learning.users, analytics.student_summary
-- Everyone inactive for the same number of days k scores 0.6 * min(k / (2 * :inactive_days), 1)
-- plus a term that falls as progress grows. So the answer is the best :limit of a few lists,
-- each in progress order: one per k from :inactive_days to 2 * :inactive_days - 1 (the
-- students last seen on that day), and one for everyone inactive longer (the score no longer
-- grows). Each list gives at most :limit rows from an index, whatever the number of students.
WITH today AS (
    SELECT (now() AT TIME ZONE 'UTC')::date AS day
),
candidates AS (
    SELECT c.*
    FROM today AS t
    CROSS JOIN generate_series(:inactive_days, 2 * :inactive_days - 1) AS k (days)
    CROSS JOIN LATERAL (
        SELECT s.user_id, s.enrolled_courses, s.avg_progress, s.last_active_at, k.days
        FROM analytics.student_summary AS s
        WHERE s.avg_progress < 0.5
          AND (coalesce(s.last_active_at, s.first_enrolled_at) AT TIME ZONE 'UTC')::date
              = t.day - k.days
        ORDER BY s.avg_progress, s.user_id
        LIMIT :limit
    ) AS c
    UNION ALL
    (SELECT s.user_id, s.enrolled_courses, s.avg_progress, s.last_active_at,
            t.day - (coalesce(s.last_active_at, s.first_enrolled_at) AT TIME ZONE 'UTC')::date
     FROM analytics.student_summary AS s
     CROSS JOIN today AS t
     WHERE s.avg_progress < 0.5
       AND (coalesce(s.last_active_at, s.first_enrolled_at) AT TIME ZONE 'UTC')::date
           <= t.day - 2 * :inactive_days
     ORDER BY s.avg_progress, s.user_id
     LIMIT :limit)
),
scored AS (
    SELECT c.*,
           0.6 * least(c.days::numeric / (2 * :inactive_days), 1) + 0.4 * (1 - c.avg_progress)
               AS score
    FROM candidates AS c
    ORDER BY score DESC, c.user_id
    LIMIT :limit
)
SELECT s.user_id,
       u.display_name,
       s.enrolled_courses,
       round(s.avg_progress, 4)::float8 AS avg_progress,
       s.last_active_at,
       s.days AS days_inactive,
       round(s.score, 4)::float8 AS risk_score
FROM scored AS s
JOIN learning.users AS u ON u.id = s.user_id
ORDER BY s.score DESC, s.user_id
