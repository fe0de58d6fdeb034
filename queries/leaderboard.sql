-- name: leaderboard
-- Students by points, highest first; equal points share a rank, and ties list by user id.
-- version: 1
-- params: limit int 1..100 = 10
-- cache_ttl: 300
-- reads: learning.users
SELECT rank() OVER (ORDER BY u.points DESC) AS rank,
       u.id AS user_id,
       u.display_name,
       u.points
FROM learning.users AS u
WHERE u.role = 'STUDENT'
ORDER BY u.points DESC, u.id
LIMIT :limit
