-- name: course_engagement_metrics
-- One course: its active learners, events per learner, and per lesson who started and completed it.
-- version: 2
-- params: course_id int 1..
-- cache_ttl: 600
-- reads: learning.courses, learning.lessons, analytics.course_learners, analytics.lesson_learners
WITH totals AS (
    SELECT count(*) AS active_learners, coalesce(sum(events), 0)::bigint AS events
    FROM analytics.course_learners
    WHERE course_id = :course_id
),
lessons AS (
    SELECT l.id AS lesson_id,
           l.position,
           l.title,
           count(ll.user_id) FILTER (WHERE ll.starts > 0) AS learners_started,
           count(ll.user_id) FILTER (WHERE ll.completes > 0) AS learners_completed,
           coalesce(sum(ll.events), 0)::bigint AS events
    FROM learning.lessons AS l
    LEFT JOIN analytics.lesson_learners AS ll ON ll.lesson_id = l.id
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
