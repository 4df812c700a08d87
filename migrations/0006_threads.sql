-- Thread tracking (issue 8): tracked channels/forums, tracked threads with their activity counters,
-- hourly activity buckets (for the "hot" score and the weekly post), the participants of each thread
-- (personal data: kept only while the thread is tracked and not long dormant, see docs/threads.md), and the
-- weekly "hot discussions" post schedule.
--
-- item_id is the episode (items.id of migration 0002, issue 4). 0002 was still a placeholder when this was
-- written, so it carries no foreign key; the link is checked by the code that sets it.

CREATE TABLE tracked_parents (
    guild_id   INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    added_by   INTEGER,
    added_at   TEXT    NOT NULL,
    PRIMARY KEY (guild_id, channel_id)
) STRICT;

CREATE TABLE threads (
    thread_id         INTEGER PRIMARY KEY,
    guild_id          INTEGER NOT NULL,
    parent_id         INTEGER,
    item_id           INTEGER,
    name              TEXT    NOT NULL,
    source            TEXT    NOT NULL CHECK (source IN ('episode', 'channel', 'manual')),
    state             TEXT    NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'archived', 'deleted')),
    locked            INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
    tags              TEXT    NOT NULL DEFAULT '[]',
    message_count     INTEGER NOT NULL DEFAULT 0 CHECK (message_count >= 0),
    participant_count INTEGER NOT NULL DEFAULT 0 CHECK (participant_count >= 0),
    -- participants whose (thread, user) pairs were pruned after long dormancy; counted, no longer stored
    pruned_participants INTEGER NOT NULL DEFAULT 0 CHECK (pruned_participants >= 0),
    created_at        TEXT    NOT NULL,
    first_activity_at TEXT,
    last_activity_at  TEXT,
    tracked_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL
) STRICT;

CREATE INDEX threads_by_guild_activity ON threads (guild_id, state, last_activity_at);
CREATE INDEX threads_by_item ON threads (guild_id, item_id) WHERE item_id IS NOT NULL;

CREATE TABLE thread_participants (
    thread_id INTEGER NOT NULL REFERENCES threads (thread_id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL,
    PRIMARY KEY (thread_id, user_id)
) STRICT, WITHOUT ROWID;

-- Messages per thread per UTC hour; `hour` is the start of the hour as written by to_db().
CREATE TABLE thread_activity (
    thread_id INTEGER NOT NULL REFERENCES threads (thread_id) ON DELETE CASCADE,
    hour      TEXT    NOT NULL,
    messages  INTEGER NOT NULL CHECK (messages > 0),
    PRIMARY KEY (thread_id, hour)
) STRICT, WITHOUT ROWID;

CREATE INDEX thread_activity_by_hour ON thread_activity (hour);

CREATE TABLE thread_weekly (
    guild_id        INTEGER PRIMARY KEY,
    channel_id      INTEGER NOT NULL,
    weekday         INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    hour            INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
    configured_by   INTEGER,
    configured_at   TEXT    NOT NULL,
    last_week       TEXT,
    last_message_id INTEGER,
    last_posted_at  TEXT
) STRICT;
