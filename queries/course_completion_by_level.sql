-- name: course_completion_by_level
-- Enrollments and completed enrollments (every lesson done) per course level, easiest first.
-- version: 1
-- cache_ttl: 900
WITH lesson_counts AS (
    SELECT course_id, count(*) AS lessons
    FROM learning.lessons
    GROUP BY course_id
),
done AS (
    SELECT user_id, course_id, count(*) AS completed_lessons
    FROM learning.user_progress
    WHERE status = 'COMPLETED'
    GROUP BY user_id, course_id
),
per_enrollment AS (
    SELECT c.level,
           coalesce(lc.lessons, 0) > 0 AND coalesce(d.completed_lessons, 0) = lc.lessons AS completed
    FROM learning.enrollments AS e
    JOIN learning.courses AS c ON c.id = e.course_id
    LEFT JOIN lesson_counts AS lc ON lc.course_id = e.course_id
    LEFT JOIN done AS d ON d.user_id = e.user_id AND d.course_id = e.course_id
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
