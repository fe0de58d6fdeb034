-- name: lesson_dropoff
-- Where learners stop in one course: per lesson, who started, who completed, and whose furthest lesson it is without finishing the course.
-- version: 2
-- params: course_id int 1..
-- cache_ttl: 600
-- reads: learning.lessons, analytics.lesson_progress, analytics.course_stops
SELECT l.position,
       l.id AS lesson_id,
       l.title,
       coalesce(p.started, 0) AS started,
       coalesce(p.completed, 0) AS completed,
       coalesce(s.learners, 0) AS stopped_here,
       round(coalesce(s.learners, 0)::numeric / NULLIF(coalesce(p.started, 0), 0), 4)::float8
           AS dropoff_rate
FROM learning.lessons AS l
LEFT JOIN analytics.lesson_progress AS p ON p.lesson_id = l.id
LEFT JOIN analytics.course_stops AS s ON s.course_id = l.course_id AND s.position = l.position
WHERE l.course_id = :course_id
ORDER BY l.position
