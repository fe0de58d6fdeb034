-- name: course_completion_by_level
-- Enrollments and completed enrollments (every lesson done) per course level, easiest first.
-- version: 2
-- cache_ttl: 900
-- reads: learning.courses, analytics.course_progress
SELECT lv.level,
       count(c.id) FILTER (WHERE c.is_published) AS published_courses,
       coalesce(sum(cp.enrollments), 0)::bigint AS enrollments,
       coalesce(sum(cp.completed), 0)::bigint AS completions,
       round(sum(cp.completed)::numeric / NULLIF(sum(cp.enrollments), 0), 4)::float8
           AS completion_rate
FROM unnest(ARRAY['BEGINNER', 'INTERMEDIATE', 'ADVANCED']) WITH ORDINALITY AS lv (level, position)
LEFT JOIN learning.courses AS c ON c.level = lv.level
LEFT JOIN analytics.course_progress AS cp ON cp.course_id = c.id
GROUP BY lv.level, lv.position
ORDER BY lv.position
