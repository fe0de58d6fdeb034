-- name: course_completion_by_level
-- Enrollments and completed enrollments (every lesson done) per course level, easiest first.
-- version: 2
-- cache_ttl: 900
-- reads: analytics.level_progress
SELECT lv.level,
       coalesce(sum(p.courses) FILTER (WHERE p.is_published), 0)::bigint AS published_courses,
       coalesce(sum(p.enrollments), 0)::bigint AS enrollments,
       coalesce(sum(p.completed), 0)::bigint AS completions,
       round(sum(p.completed)::numeric / NULLIF(sum(p.enrollments), 0), 4)::float8
           AS completion_rate
FROM unnest(ARRAY['BEGINNER', 'INTERMEDIATE', 'ADVANCED']) WITH ORDINALITY AS lv (level, position)
LEFT JOIN analytics.level_progress AS p ON p.level = lv.level
GROUP BY lv.level, lv.position
ORDER BY lv.position
