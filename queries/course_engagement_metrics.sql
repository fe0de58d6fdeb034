-- name: course_engagement_metrics
-- One course: its active learners, events per learner, and per lesson who started and completed it.
-- version: 2
-- params: course_id int 1..
-- cache_ttl: 600
-- reads: learning.courses, learning.lessons, analytics.course_activity, analytics.lesson_activity
WITH lessons AS (
    SELECT l.id AS lesson_id,
           l.position,
           l.title,
           coalesce(a.learners_started, 0) AS learners_started,
           coalesce(a.learners_completed, 0) AS learners_completed,
           coalesce(a.events, 0) AS events
    FROM learning.lessons AS l
    LEFT JOIN analytics.lesson_activity AS a ON a.lesson_id = l.id
    WHERE l.course_id = :course_id
),
totals AS (
    SELECT coalesce(max(learners), 0) AS active_learners, coalesce(max(events), 0) AS events
    FROM analytics.course_activity
    WHERE course_id = :course_id
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
