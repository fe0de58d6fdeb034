-- name: course_completion_by_level
-- Enrollments and completed enrollments (every lesson done) per course level, easiest first.
-- version: 2
-- cache_ttl: 900
-- reads: learning.courses, learning.enrollment_progress
WITH per_enrollment AS (
    SELECT c.level, ep.completed
    FROM learning.enrollment_progress AS ep
    JOIN learning.courses AS c ON c.id = ep.course_id
)
SELECT lv.level,
       (SELECT count(*) FROM learning.courses AS c WHERE c.level = lv.level AND c.is_published)
           AS published_courses,
       count(pe.level) AS enrollments,
       count(pe.level) FILTER (WHERE pe.completed) AS completions,
       round(count(pe.level) FILTER (WHERE pe.completed)::numeric / NULLIF(count(pe.level), 0), 4)::float8
           AS completion_rate
FROM unnest(ARRAY['BEGINNER', 'INTERMEDIATE', 'ADVANCED']) WITH ORDINALITY AS lv (level, position)
LEFT JOIN per_enrollment AS pe ON pe.level = lv.level
GROUP BY lv.level, lv.position
ORDER BY lv.position
