-- PostgreSQL counterpart of migrations/0006_threads.sql.
CREATE TABLE tracked_parents (
    guild_id   BIGINT NOT NULL,
    channel_id BIGINT NOT NULL,
    added_by   BIGINT,
    added_at   TEXT   NOT NULL,
    PRIMARY KEY (guild_id, channel_id)
);

CREATE TABLE threads (
    thread_id           BIGINT PRIMARY KEY,
    guild_id            BIGINT NOT NULL,
    parent_id           BIGINT,
    item_id             BIGINT,
    name                TEXT   NOT NULL,
    source              TEXT   NOT NULL CHECK (source IN ('episode', 'channel', 'manual')),
    state               TEXT   NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'archived', 'deleted')),
    locked              BIGINT NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
    tags                TEXT   NOT NULL DEFAULT '[]',
    message_count       BIGINT NOT NULL DEFAULT 0 CHECK (message_count >= 0),
    participant_count   BIGINT NOT NULL DEFAULT 0 CHECK (participant_count >= 0),
    pruned_participants BIGINT NOT NULL DEFAULT 0 CHECK (pruned_participants >= 0),
    created_at          TEXT   NOT NULL,
    first_activity_at   TEXT,
    last_activity_at    TEXT,
    tracked_at          TEXT   NOT NULL,
    updated_at          TEXT   NOT NULL
);

CREATE INDEX threads_by_guild_activity ON threads (guild_id, state, last_activity_at);
CREATE INDEX threads_by_item ON threads (guild_id, item_id) WHERE item_id IS NOT NULL;

CREATE TABLE thread_participants (
    thread_id BIGINT NOT NULL REFERENCES threads (thread_id) ON DELETE CASCADE,
    user_id   BIGINT NOT NULL,
    PRIMARY KEY (thread_id, user_id)
);

CREATE TABLE thread_activity (
    thread_id BIGINT NOT NULL REFERENCES threads (thread_id) ON DELETE CASCADE,
    hour      TEXT   NOT NULL,
    messages  BIGINT NOT NULL CHECK (messages > 0),
    PRIMARY KEY (thread_id, hour)
);

CREATE INDEX thread_activity_by_hour ON thread_activity (hour);

CREATE TABLE thread_weekly (
    guild_id        BIGINT PRIMARY KEY,
    channel_id      BIGINT NOT NULL,
    weekday         BIGINT NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    hour            BIGINT NOT NULL CHECK (hour BETWEEN 0 AND 23),
    configured_by   BIGINT,
    configured_at   TEXT   NOT NULL,
    last_week       TEXT,
    last_message_id BIGINT,
    last_posted_at  TEXT
);
