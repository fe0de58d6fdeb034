-- name: lesson_dropoff
-- Where learners stop in one course: per lesson, who started, who completed, and whose furthest lesson it is without finishing the course.
-- version: 2
-- params: course_id int 1..
-- cache_ttl: 600
-- reads: learning.lessons, learning.user_progress
WITH lessons AS (
    SELECT id, position, title
    FROM learning.lessons
    WHERE course_id = :course_id
),
learners AS (
    SELECT p.user_id,
           max(l.position) AS furthest_position,
           count(*) FILTER (WHERE p.status = 'COMPLETED') AS completed_lessons
    FROM learning.user_progress AS p
    JOIN lessons AS l ON l.id = p.lesson_id
    WHERE p.status <> 'NOT_STARTED'
    GROUP BY p.user_id
),
stopped AS (
    SELECT furthest_position AS position, count(*) AS learners
    FROM learners
    WHERE completed_lessons < (SELECT count(*) FROM lessons)
    GROUP BY furthest_position
)
SELECT l.position,
       l.id AS lesson_id,
       l.title,
       count(p.id) AS started,
       count(p.id) FILTER (WHERE p.status = 'COMPLETED') AS completed,
       coalesce(max(s.learners), 0) AS stopped_here,
       round(coalesce(max(s.learners), 0)::numeric / NULLIF(count(p.id), 0), 4)::float8 AS dropoff_rate
FROM lessons AS l
LEFT JOIN learning.user_progress AS p ON p.lesson_id = l.id AND p.status <> 'NOT_STARTED'
LEFT JOIN stopped AS s ON s.position = l.position
GROUP BY l.id, l.position, l.title
ORDER BY l.position
