-- name: gamification_effectiveness
-- Students with a streak or an achievement against those without: completion, and activity in the last 30 UTC days (today included).
-- version: 2
-- cache_ttl: 900
-- reads: analytics.student_groups
-- student_groups holds the students by group and by the UTC day of their last event: a few
-- hundred rows, however many students there are.
WITH bounds AS (
    SELECT (now() AT TIME ZONE 'UTC')::date - 29 AS first_day
),
per_group AS (
    SELECT s.gamified,
           sum(s.students)::bigint AS students,
           sum(s.enrollments) AS enrollments,
           sum(s.completed_courses) AS completed_courses,
           sum(s.completed_lessons) AS completed_lessons,
           coalesce(sum(s.students) FILTER (WHERE s.last_active_day >= b.first_day), 0)
               AS active_30d
    FROM analytics.student_groups AS s
    CROSS JOIN bounds AS b
    GROUP BY s.gamified
)
SELECT g.cohort AS "group",
       coalesce(p.students, 0) AS students,
       coalesce(p.enrollments, 0)::bigint AS enrollments,
       round(p.completed_courses::numeric / NULLIF(p.enrollments, 0), 4)::float8
           AS course_completion_rate,
       round(p.completed_lessons::numeric / NULLIF(p.students, 0), 2)::float8
           AS avg_completed_lessons,
       round(p.active_30d::numeric / NULLIF(p.students, 0), 4)::float8 AS active_30d_rate
FROM (VALUES (true, 'gamified', 1), (false, 'not_gamified', 2)) AS g (gamified, cohort, position)
LEFT JOIN per_group AS p ON p.gamified = g.gamified
ORDER BY g.position
