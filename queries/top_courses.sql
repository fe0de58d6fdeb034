-- name: top_courses
-- Published courses ranked by enrollments, then completions, then events in the last 30 UTC days (today included).
-- version: 2
-- params: limit int 1..100 = 10
-- cache_ttl: 600
-- reads: learning.courses, analytics.course_progress, analytics.course_day_activity, analytics.course_learners
WITH bounds AS (
    SELECT (now() AT TIME ZONE 'UTC')::date - 29 AS first_day
),
recent AS (
    SELECT cd.course_id, sum(cd.events)::bigint AS events_30d
    FROM analytics.course_day_activity AS cd
    CROSS JOIN bounds AS b
    WHERE cd.day >= b.first_day
    GROUP BY cd.course_id
),
ranked AS (
    SELECT rank() OVER (ORDER BY coalesce(cp.enrollments, 0) DESC, coalesce(cp.completed, 0) DESC,
                                 coalesce(r.events_30d, 0) DESC) AS rank,
           c.id AS course_id,
           c.title,
           c.level,
           coalesce(cp.enrollments, 0) AS enrollments,
           coalesce(cp.completed, 0) AS completions,
           coalesce(r.events_30d, 0) AS events_30d
    FROM learning.courses AS c
    LEFT JOIN analytics.course_progress AS cp ON cp.course_id = c.id
    LEFT JOIN recent AS r ON r.course_id = c.id
    WHERE c.is_published
    ORDER BY rank, course_id
    LIMIT :limit
)
-- Learners active in the window, counted only for the courses shown.
SELECT r.rank, r.course_id, r.title, r.level, r.enrollments, r.completions,
       (SELECT count(*) FROM analytics.course_learners AS cl
        WHERE cl.course_id = r.course_id
          AND cl.last_active_day >= b.first_day) AS active_learners_30d,
       r.events_30d
FROM ranked AS r
CROSS JOIN bounds AS b
ORDER BY r.rank, r.course_id
