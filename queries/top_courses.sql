-- name: top_courses
-- Published courses ranked by enrollments, then completions, then events in the last 30 UTC days (today included).
-- version: 2
-- params: limit int 1..100 = 10
-- cache_ttl: 600
-- reads: learning.courses, analytics.course_progress, analytics.course_day_activity, analytics.course_learner_days
-- Only the courses that can make the list are read in full: the first :limit published ones
-- by enrollments then completions, and every course tied with the last of them (events
-- decide among those). Whoever ranks above a candidate is a candidate too, so ranks counted
-- among them are the ranks among all courses.
WITH bounds AS (
    SELECT (now() AT TIME ZONE 'UTC')::date - 29 AS first_day
),
head AS (
    SELECT cp.enrollments, cp.completed
    FROM analytics.course_progress AS cp
    JOIN learning.courses AS c ON c.id = cp.course_id AND c.is_published
    ORDER BY cp.enrollments DESC, cp.completed DESC
    LIMIT :limit
),
edge AS (
    -- The last of the head; a short head means every published course is in the list.
    SELECT CASE WHEN count(*) < :limit THEN 0 ELSE min(h.enrollments) END AS enrollments,
           CASE WHEN count(*) < :limit THEN 0
                ELSE min(h.completed) FILTER (
                    WHERE h.enrollments = (SELECT min(enrollments) FROM head)) END AS completed
    FROM head AS h
),
candidates AS (
    SELECT cp.course_id, cp.enrollments, cp.completed
    FROM analytics.course_progress AS cp
    CROSS JOIN edge AS e
    WHERE (cp.enrollments, cp.completed) >= (e.enrollments, e.completed)
    UNION ALL
    -- Courses no one enrolled in rank last, with (0, 0): candidates only when the edge is there.
    SELECT c.id, 0, 0
    FROM learning.courses AS c
    CROSS JOIN edge AS e
    WHERE e.enrollments = 0 AND e.completed = 0
      AND NOT EXISTS (SELECT FROM analytics.course_progress AS cp WHERE cp.course_id = c.id)
),
ranked AS (
    SELECT rank() OVER (ORDER BY k.enrollments DESC, k.completed DESC,
                                 coalesce(r.events_30d, 0) DESC) AS rank,
           c.id AS course_id,
           c.title,
           c.level,
           k.enrollments,
           k.completed AS completions,
           coalesce(r.events_30d, 0) AS events_30d
    FROM candidates AS k
    JOIN learning.courses AS c ON c.id = k.course_id AND c.is_published
    CROSS JOIN bounds AS b
    CROSS JOIN LATERAL (
        SELECT sum(cd.events)::bigint AS events_30d
        FROM analytics.course_day_activity AS cd
        WHERE cd.course_id = k.course_id AND cd.day >= b.first_day
    ) AS r
    ORDER BY rank, course_id
    LIMIT :limit
)
-- Learners whose last event in the course falls in the window, counted by day.
SELECT r.rank, r.course_id, r.title, r.level, r.enrollments, r.completions,
       coalesce((SELECT sum(d.learners) FROM analytics.course_learner_days AS d
                 WHERE d.course_id = r.course_id
                   AND d.last_active_day >= b.first_day), 0)::bigint AS active_learners_30d,
       r.events_30d
FROM ranked AS r
CROSS JOIN bounds AS b
ORDER BY r.rank, r.course_id
