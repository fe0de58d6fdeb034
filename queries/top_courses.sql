-- name: top_courses
-- Published courses ranked by enrollments, then completions, then events in the last 30 days.
-- version: 1
-- params: limit int 1..100 = 10
-- cache_ttl: 600
WITH enrollment_counts AS (
    SELECT course_id, count(*) AS enrollments
    FROM learning.enrollments
    GROUP BY course_id
),
lesson_counts AS (
    SELECT course_id, count(*) AS lessons
    FROM learning.lessons
    GROUP BY course_id
),
completion_counts AS (
    SELECT d.course_id, count(*) AS completions
    FROM (
        SELECT user_id, course_id, count(*) AS completed_lessons
        FROM learning.user_progress
        WHERE status = 'COMPLETED'
        GROUP BY user_id, course_id
    ) AS d
    JOIN lesson_counts AS lc ON lc.course_id = d.course_id AND lc.lessons = d.completed_lessons
    GROUP BY d.course_id
),
recent AS (
    SELECT course_id, count(DISTINCT user_id) AS active_learners_30d, count(*) AS events_30d
    FROM analytics.behavior_log
    WHERE course_id IS NOT NULL AND occurred_at >= now() - interval '30 days'
    GROUP BY course_id
),
ranked AS (
    SELECT c.id AS course_id,
           c.title,
           c.level,
           coalesce(ec.enrollments, 0) AS enrollments,
           coalesce(cc.completions, 0) AS completions,
           coalesce(r.active_learners_30d, 0) AS active_learners_30d,
           coalesce(r.events_30d, 0) AS events_30d
    FROM learning.courses AS c
    LEFT JOIN enrollment_counts AS ec ON ec.course_id = c.id
    LEFT JOIN completion_counts AS cc ON cc.course_id = c.id
    LEFT JOIN recent AS r ON r.course_id = c.id
    WHERE c.is_published
)
SELECT rank() OVER (ORDER BY enrollments DESC, completions DESC, events_30d DESC) AS rank,
       course_id, title, level, enrollments, completions, active_learners_30d, events_30d
FROM ranked
ORDER BY rank, course_id
LIMIT :limit
