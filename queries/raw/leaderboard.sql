-- name: leaderboard
-- Students by points, highest first; equal points share a rank, and ties list by user id.
-- version: 1
-- params: limit int 1..100 = 10
-- cache_ttl: 300
-- reads: learning.users, gamification.point_ledger
WITH ledger AS (
    SELECT l.user_id, sum(l.delta) AS points
    FROM gamification.point_ledger AS l
    GROUP BY l.user_id
),
students AS (
    SELECT u.id, u.display_name, coalesce(l.points, 0)::bigint AS points
    FROM learning.users AS u
    LEFT JOIN ledger AS l ON l.user_id = u.id
    WHERE u.role = 'STUDENT'
)
SELECT rank() OVER (ORDER BY s.points DESC) AS rank,
       s.id AS user_id,
       s.display_name,
       s.points
FROM students AS s
ORDER BY s.points DESC, s.id
LIMIT :limit
