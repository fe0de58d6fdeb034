-- name: top_courses
-- Published courses ranked by enrollments, then completions, then events in the last 30 UTC days (today included).
-- version: 2
-- params: limit int 1..100 = 10
-- cache_ttl: 600
-- reads: learning.courses, learning.enrollment_progress, analytics.behavior_log
WITH per_course AS (
    SELECT course_id, count(*) AS enrollments, count(*) FILTER (WHERE completed) AS completions
    FROM learning.enrollment_progress
    GROUP BY course_id
),
recent AS (
    SELECT course_id, count(DISTINCT user_id) AS active_learners_30d, count(*) AS events_30d
    FROM analytics.behavior_log
    WHERE course_id IS NOT NULL AND occurred_at >= ((now() AT TIME ZONE 'UTC')::date - 29)::timestamp AT TIME ZONE 'UTC'
    GROUP BY course_id
),
ranked AS (
    SELECT c.id AS course_id,
           c.title,
           c.level,
           coalesce(pc.enrollments, 0) AS enrollments,
           coalesce(pc.completions, 0) AS completions,
           coalesce(r.active_learners_30d, 0) AS active_learners_30d,
           coalesce(r.events_30d, 0) AS events_30d
    FROM learning.courses AS c
    LEFT JOIN per_course AS pc ON pc.course_id = c.id
    LEFT JOIN recent AS r ON r.course_id = c.id
    WHERE c.is_published
)
SELECT rank() OVER (ORDER BY enrollments DESC, completions DESC, events_30d DESC) AS rank,
       course_id, title, level, enrollments, completions, active_learners_30d, events_30d
FROM ranked
ORDER BY rank, course_id
LIMIT :limit
