-- The leaderboard's rollup: learning.users.points is kept equal to the sum of the user's
-- gamification.point_ledger rows, in the transaction that writes the ledger.
--   The seed wrote both and a test checked they agree, but nothing kept them equal afterwards:
--   an award written to the ledger alone left the leaderboard wrong until someone fixed it.
--   Statement triggers move each touched user's points by the net delta of the statement's
--   rows, so a batch of awards costs one row update per user. The CHECK (points >= 0) on
--   users now refuses a ledger write that would take a total below zero.
--   gamification.rebuild_user_points() recomputes every total from the ledger (`vedb refresh
--   --full` calls it) and returns how many it corrected.
-- depends: 0023.defer-event-folding

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

-- Adds deltas[i] to user_ids[i]'s points (one entry per user).
CREATE OR REPLACE FUNCTION gamification.add_points(user_ids bigint[], deltas numeric[])
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- Row locks in id order: two transactions awarding the same users cannot deadlock.
    PERFORM FROM learning.users WHERE id = ANY (user_ids) ORDER BY id FOR NO KEY UPDATE;
    UPDATE learning.users AS u
    SET points = u.points + d.delta
    FROM unnest(user_ids, deltas) AS d (user_id, delta)
    WHERE u.id = d.user_id;
END
$$;

CREATE OR REPLACE FUNCTION gamification.ledger_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    user_ids bigint[];
    deltas numeric[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(user_id), array_agg(delta) INTO user_ids, deltas
        FROM (SELECT user_id, sum(delta) AS delta FROM new_rows GROUP BY user_id) AS s;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(user_id), array_agg(delta) INTO user_ids, deltas
        FROM (SELECT user_id, -sum(delta) AS delta FROM old_rows GROUP BY user_id) AS s;
    ELSE
        -- An update may move a row to another user: the old rows leave, the new ones arrive.
        SELECT array_agg(user_id), array_agg(delta) INTO user_ids, deltas
        FROM (
            SELECT user_id, sum(delta) AS delta
            FROM (SELECT user_id, delta FROM new_rows
                  UNION ALL
                  SELECT user_id, -delta FROM old_rows) AS moved
            GROUP BY user_id
            HAVING sum(delta) <> 0
        ) AS s;
    END IF;
    IF user_ids IS NOT NULL THEN
        PERFORM gamification.add_points(user_ids, deltas);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER ledger_inserted AFTER INSERT ON gamification.point_ledger
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gamification.ledger_changed();
CREATE OR REPLACE TRIGGER ledger_updated AFTER UPDATE ON gamification.point_ledger
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gamification.ledger_changed();
CREATE OR REPLACE TRIGGER ledger_deleted AFTER DELETE ON gamification.point_ledger
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gamification.ledger_changed();

-- Every student's and staff member's points from the ledger; returns how many were wrong.
CREATE OR REPLACE FUNCTION gamification.rebuild_user_points() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    corrected bigint;
BEGIN
    WITH totals AS (
        SELECT u.id, coalesce(l.total, 0) AS total
        FROM learning.users AS u
        LEFT JOIN (
            SELECT user_id, sum(delta) AS total FROM gamification.point_ledger GROUP BY user_id
        ) AS l ON l.user_id = u.id
    )
    UPDATE learning.users AS u
    SET points = t.total
    FROM totals AS t
    WHERE t.id = u.id AND u.points <> t.total;
    GET DIAGNOSTICS corrected = ROW_COUNT;
    RETURN corrected;
END
$$;
REVOKE ALL ON FUNCTION gamification.rebuild_user_points() FROM PUBLIC;

-- Databases migrated before this start consistent too.
SET LOCAL statement_timeout = '30min';
DO $$ BEGIN PERFORM gamification.rebuild_user_points(); END $$;  -- no result set to print
