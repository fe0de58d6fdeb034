-- name: gamification_effectiveness
-- Students with a streak or an achievement against those without: completion, and activity in the last 30 UTC days (today included).
-- version: 2
-- cache_ttl: 900
-- reads: learning.users, learning.enrollment_progress, gamification.user_achievements, gamification.streaks, analytics.behavior_log
WITH students AS (
    SELECT u.id,
           EXISTS (SELECT FROM gamification.user_achievements AS a WHERE a.user_id = u.id)
           OR EXISTS (SELECT FROM gamification.streaks AS s WHERE s.user_id = u.id AND s.longest_days > 0)
               AS gamified
    FROM learning.users AS u
    WHERE u.role = 'STUDENT'
),
per_student AS (
    SELECT s.id,
           s.gamified,
           count(ep.course_id) AS enrollments,
           count(ep.course_id) FILTER (WHERE ep.completed) AS completed_courses,
           coalesce(sum(ep.completed_lessons), 0) AS completed_lessons,
           EXISTS (SELECT FROM analytics.behavior_log AS b
                   WHERE b.user_id = s.id AND b.occurred_at >= ((now() AT TIME ZONE 'UTC')::date - 29)::timestamp AT TIME ZONE 'UTC') AS active_30d
    FROM students AS s
    LEFT JOIN learning.enrollment_progress AS ep ON ep.user_id = s.id
    GROUP BY s.id, s.gamified
)
SELECT g.cohort AS "group",
       count(p.id) AS students,
       coalesce(sum(p.enrollments), 0)::bigint AS enrollments,
       round(sum(p.completed_courses)::numeric / NULLIF(sum(p.enrollments), 0), 4)::float8
           AS course_completion_rate,
       round(avg(p.completed_lessons), 2)::float8 AS avg_completed_lessons,
       round(avg(p.active_30d::int), 4)::float8 AS active_30d_rate
FROM (VALUES (true, 'gamified', 1), (false, 'not_gamified', 2)) AS g (gamified, cohort, position)
LEFT JOIN per_student AS p ON p.gamified = g.gamified
GROUP BY g.cohort, g.position
ORDER BY g.position
