-- name: gamification_effectiveness
-- Students with a streak or an achievement against those without: completion, and activity in the last 30 UTC days (today included).
-- version: 2
-- cache_ttl: 900
-- reads: analytics.student_summary
WITH bounds AS (
    SELECT ((now() AT TIME ZONE 'UTC')::date - 29)::timestamp AT TIME ZONE 'UTC' AS since
)
SELECT g.cohort AS "group",
       count(s.user_id) AS students,
       coalesce(sum(s.enrolled_courses), 0)::bigint AS enrollments,
       round(sum(s.completed_courses)::numeric / NULLIF(sum(s.enrolled_courses), 0), 4)::float8
           AS course_completion_rate,
       round(avg(s.completed_lessons), 2)::float8 AS avg_completed_lessons,
       round(avg(coalesce(s.last_active_at >= b.since, false)::int), 4)::float8 AS active_30d_rate
FROM (VALUES (true, 'gamified', 1), (false, 'not_gamified', 2)) AS g (gamified, cohort, position)
CROSS JOIN bounds AS b
LEFT JOIN analytics.student_summary AS s ON s.gamified = g.gamified
GROUP BY g.cohort, g.position
ORDER BY g.position
