-- name: at_risk_students
-- Enrolled students under 50 % average progress with no event for :inactive_days UTC days or more; risk_score = 0.6 * min(days_inactive / (2 * inactive_days), 1) + 0.4 * (1 - avg_progress), days_inactive = today's UTC date less the UTC date of the last event (or of the first enrollment if none); ranked by the unrounded score, then user_id.
-- version: 3
-- params: inactive_days int 1..365 = 14, limit int 1..1000 = 50
-- cache_ttl: 600
-- reads: learning.users, analytics.student_summary
-- Everyone inactive for the same number of days k scores 0.6 * min(k / (2 * :inactive_days), 1)
-- plus a term that falls as progress grows. So the answer is the best :limit of a few lists,
-- each in progress order from an index: one for everyone inactive 2 * :inactive_days days or
-- more (their score no longer grows), and one per k below that (the students last seen on
-- that day). Each list gives at most :limit rows, and a day's list only the rows that can beat
-- the :limit-th score of the first, whatever the number of students.
WITH today AS (
    SELECT (now() AT TIME ZONE 'UTC')::date AS day
),
saturated AS (
    SELECT s.user_id, s.enrolled_courses, s.avg_progress, s.last_active_at,
           t.day - (coalesce(s.last_active_at, s.first_enrolled_at) AT TIME ZONE 'UTC')::date
               AS days
    FROM analytics.student_summary AS s
    CROSS JOIN today AS t
    WHERE s.avg_progress < 0.5
      -- The day written out, not read from today: the planner estimates how many qualify
      -- from the index's statistics, and reads few by day, many in progress order.
      AND (coalesce(s.last_active_at, s.first_enrolled_at) AT TIME ZONE 'UTC')::date
          <= (now() AT TIME ZONE 'UTC')::date - 2 * :inactive_days
    ORDER BY s.avg_progress, s.user_id
    LIMIT :limit
),
-- The :limit-th score among the saturated: a bound on the answer's lowest score (none while
-- there are fewer). A day's student reaches it only with progress up to a bound of that day;
-- the slack keeps ties that numeric division would round away.
threshold AS (
    SELECT CASE WHEN count(*) = :limit THEN 0.6 + 0.4 * (1 - max(avg_progress)) END AS score
    FROM saturated
),
candidates AS (
    SELECT * FROM saturated
    UNION ALL
    SELECT c.*
    FROM today AS t
    CROSS JOIN threshold AS f
    CROSS JOIN generate_series(:inactive_days, 2 * :inactive_days - 1) AS k (days)
    CROSS JOIN LATERAL (
        SELECT s.user_id, s.enrolled_courses, s.avg_progress, s.last_active_at, k.days
        FROM analytics.student_summary AS s
        WHERE s.avg_progress < 0.5
          AND (coalesce(s.last_active_at, s.first_enrolled_at) AT TIME ZONE 'UTC')::date
              = t.day - k.days
          AND s.avg_progress
              <= coalesce(1 - (f.score - 0.6 * k.days::numeric / (2 * :inactive_days)) / 0.4
                          + 0.000000001, 1)
        ORDER BY s.avg_progress, s.user_id
        LIMIT :limit
    ) AS c
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
