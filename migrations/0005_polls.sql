-- Community polls (issue 7): per-guild settings, polls with their answers, and ballots.
-- item_id names the episode in `items` (migration 0002). ON DELETE SET NULL: a poll outlives its episode,
-- and a recycled item id can never look as if its episode already had a poll.

CREATE TABLE poll_settings (
    guild_id       INTEGER PRIMARY KEY,
    auto_enabled   INTEGER NOT NULL DEFAULT 1 CHECK (auto_enabled IN (0, 1)),
    mode           TEXT    NOT NULL DEFAULT 'native' CHECK (mode IN ('native', 'anonymous')),
    duration_hours INTEGER NOT NULL DEFAULT 24 CHECK (duration_hours BETWEEN 1 AND 768),
    updated_at     TEXT    NOT NULL
) STRICT;

CREATE TABLE polls (
    id                 INTEGER PRIMARY KEY,
    guild_id           INTEGER NOT NULL,
    channel_id         INTEGER NOT NULL,
    message_id         INTEGER,
    item_id            INTEGER REFERENCES items (id) ON DELETE SET NULL,
    mode               TEXT    NOT NULL CHECK (mode IN ('native', 'anonymous')),
    question           TEXT    NOT NULL,
    multiple           INTEGER NOT NULL CHECK (multiple IN (0, 1)),
    status             TEXT    NOT NULL CHECK (status IN ('pending', 'open', 'closed', 'done', 'failed')),
    nonce              TEXT    NOT NULL UNIQUE,
    created_by         INTEGER,
    created_at         TEXT    NOT NULL,
    closes_at          TEXT    NOT NULL,
    closed_at          TEXT,
    results_message_id INTEGER,
    finalized          INTEGER NOT NULL DEFAULT 0 CHECK (finalized IN (0, 1))
) STRICT;

-- One episode poll per guild and episode, whatever retries happen.
CREATE UNIQUE INDEX polls_episode ON polls (guild_id, item_id) WHERE item_id IS NOT NULL;
CREATE UNIQUE INDEX polls_message ON polls (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX polls_status_due ON polls (status, closes_at);
CREATE INDEX polls_guild_created ON polls (guild_id, created_at);

CREATE TABLE poll_answers (
    poll_id     INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL CHECK (position BETWEEN 1 AND 10),
    text        TEXT    NOT NULL,
    stance      TEXT    CHECK (stance IN ('open', 'closed')),
    final_count INTEGER CHECK (final_count >= 0),
    PRIMARY KEY (poll_id, position)
) STRICT, WITHOUT ROWID;

-- A ballot is HMAC(secret, "poll:member"); the secret is not in this database. No time and no row id is
-- kept (WITHOUT ROWID, ordered by the hash), so neither the order nor the moment of a vote can be read.
CREATE TABLE poll_ballots (
    poll_id  INTEGER NOT NULL,
    ballot   BLOB    NOT NULL CHECK (length(ballot) = 32),
    position INTEGER NOT NULL,
    PRIMARY KEY (poll_id, ballot, position),
    FOREIGN KEY (poll_id, position) REFERENCES poll_answers (poll_id, position) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
