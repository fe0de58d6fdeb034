-- name: course_engagement_metrics
-- One course: its active learners, events per learner, and per lesson who started and completed it.
-- version: 2
-- params: course_id int 1..
-- cache_ttl: 600
-- reads: learning.courses, learning.lessons, analytics.behavior_log
WITH events AS (
    SELECT e.user_id, e.lesson_id, e.event_type
    FROM analytics.behavior_log AS e
    WHERE e.course_id = :course_id
),
totals AS (
    SELECT count(DISTINCT user_id) AS active_learners, count(*) AS events
    FROM events
),
lessons AS (
    SELECT l.id AS lesson_id,
           l.position,
           l.title,
           count(DISTINCT ev.user_id) FILTER (WHERE ev.event_type = 'LESSON_START') AS learners_started,
           count(DISTINCT ev.user_id) FILTER (WHERE ev.event_type = 'LESSON_COMPLETE') AS learners_completed,
           count(ev.user_id) AS events
    FROM learning.lessons AS l
    LEFT JOIN events AS ev ON ev.lesson_id = l.id
    WHERE l.course_id = :course_id
    GROUP BY l.id, l.position, l.title
)
SELECT c.id AS course_id,
       c.title,
       t.active_learners,
       t.events,
       round(t.events::numeric / NULLIF(t.active_learners, 0), 2)::float8 AS events_per_learner,
       coalesce((
           SELECT jsonb_agg(jsonb_build_object(
                      'lesson_id', lesson_id, 'position', position, 'title', title,
                      'learners_started', learners_started, 'learners_completed', learners_completed,
                      'events', events,
                      'completion_rate', round(learners_completed::numeric / NULLIF(learners_started, 0), 4)
                  ) ORDER BY position)
           FROM lessons
       ), '[]'::jsonb) AS lessons
FROM learning.courses AS c
CROSS JOIN totals AS t
WHERE c.id = :course_id
