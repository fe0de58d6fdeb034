-- Social domain: friendships (one per pair of users, either direction) and one-way follows.
-- depends: 0001.create-learning-schema

SET LOCAL lock_timeout = '5s';  -- fail fast instead of queueing every query behind the DDL
SET LOCAL statement_timeout = '1min';

CREATE SCHEMA IF NOT EXISTS social;

CREATE TABLE IF NOT EXISTS social.friendships (
    requester_id bigint NOT NULL REFERENCES learning.users (id) ON DELETE CASCADE,
    addressee_id bigint NOT NULL REFERENCES learning.users (id) ON DELETE CASCADE,
    status text NOT NULL DEFAULT 'PENDING',
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT friendships_pkey PRIMARY KEY (requester_id, addressee_id),
    CONSTRAINT friendships_not_self_check CHECK (requester_id <> addressee_id),
    CONSTRAINT friendships_status_check CHECK (status IN ('PENDING', 'ACCEPTED', 'BLOCKED'))
);

-- One friendship per pair: A->B and B->A are the same friendship.
-- Why: the table is new and empty in this same transaction; no live data is locked.
-- squawk-ignore require-concurrent-index-creation
CREATE UNIQUE INDEX IF NOT EXISTS friendships_pair_key
    ON social.friendships (least(requester_id, addressee_id), greatest(requester_id, addressee_id));
-- Why: the table is new and empty in this same transaction; no live data is locked.
-- squawk-ignore require-concurrent-index-creation
CREATE INDEX IF NOT EXISTS friendships_addressee_idx ON social.friendships (addressee_id);

CREATE TABLE IF NOT EXISTS social.follows (
    follower_id bigint NOT NULL REFERENCES learning.users (id) ON DELETE CASCADE,
    followee_id bigint NOT NULL REFERENCES learning.users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT follows_pkey PRIMARY KEY (follower_id, followee_id),
    CONSTRAINT follows_not_self_check CHECK (follower_id <> followee_id)
);

-- Why: the table is new and empty in this same transaction; no live data is locked.
-- squawk-ignore require-concurrent-index-creation
CREATE INDEX IF NOT EXISTS follows_followee_idx ON social.follows (followee_id);
