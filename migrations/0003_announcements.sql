-- Announcements (issue 5): which guild follows which feed where, and the outbox of announcements.
--
-- A subscription is one guild following one feed (the built-in podcast/newsletter or any RSS/Atom feed a
-- moderator added). A delivery is one item announced (or to be announced) in one guild: the intent is
-- written before anything is sent, the message id after, and each later step of the pipeline (thread,
-- tracking, digest, poll) records its own state so a crash anywhere resumes without duplicates.

CREATE TABLE subscriptions (
    id                   INTEGER PRIMARY KEY,
    guild_id             INTEGER NOT NULL,
    feed_id              INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    channel_id           INTEGER NOT NULL,
    channel_kind         TEXT    NOT NULL DEFAULT 'text' CHECK (channel_kind IN ('text', 'forum')),
    ping_role_id         INTEGER,
    threads_enabled      INTEGER NOT NULL DEFAULT 1 CHECK (threads_enabled IN (0, 1)),
    auto_archive_minutes INTEGER NOT NULL DEFAULT 1440
        CHECK (auto_archive_minutes IN (60, 1440, 4320, 10080)),
    daily_cap            INTEGER CHECK (daily_cap IS NULL OR daily_cap >= 0),
    forum_tag_id         INTEGER,
    paused               INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    pause_reason         TEXT,
    paused_by            TEXT CHECK (paused_by IS NULL OR paused_by IN ('auto', 'moderator')),
    paused_at            TEXT,
    created_at           TEXT    NOT NULL,
    updated_at           TEXT    NOT NULL,
    UNIQUE (guild_id, feed_id)
) STRICT;

CREATE INDEX subscriptions_by_feed ON subscriptions (feed_id);

CREATE TABLE deliveries (
    id                 INTEGER PRIMARY KEY,
    guild_id           INTEGER NOT NULL,
    feed_id            INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    item_id            INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    channel_id         INTEGER NOT NULL,
    nonce              TEXT    NOT NULL,
    state              TEXT    NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sent', 'thread_created', 'done', 'failed', 'capped', 'cancelled')),
    backfill           INTEGER NOT NULL DEFAULT 0 CHECK (backfill IN (0, 1)),
    attempts           INTEGER NOT NULL DEFAULT 0,
    in_doubt           INTEGER NOT NULL DEFAULT 0 CHECK (in_doubt IN (0, 1)),
    last_error         TEXT,
    last_attempt_at    TEXT,
    next_attempt_at    TEXT,
    message_id         INTEGER,
    thread_id          INTEGER,
    announced_revision INTEGER,
    summary_line       TEXT,
    sent_at            TEXT,
    tracked_at         TEXT,
    digest_state       TEXT    NOT NULL DEFAULT 'waiting'
        CHECK (digest_state IN ('waiting', 'posted', 'applied', 'skipped', 'failed')),
    digest_message_id  INTEGER,
    step_attempts      INTEGER NOT NULL DEFAULT 0,
    poll_state         TEXT    NOT NULL DEFAULT 'waiting'
        CHECK (poll_state IN ('waiting', 'done', 'skipped', 'failed')),
    created_at         TEXT    NOT NULL,
    done_at            TEXT,
    UNIQUE (guild_id, item_id)
) STRICT;

CREATE INDEX deliveries_open ON deliveries (state, next_attempt_at)
    WHERE state IN ('pending', 'sent', 'thread_created');
CREATE INDEX deliveries_by_item ON deliveries (item_id);
CREATE INDEX deliveries_by_guild_feed ON deliveries (guild_id, feed_id, created_at);
CREATE UNIQUE INDEX deliveries_by_message ON deliveries (message_id) WHERE message_id IS NOT NULL;
