-- `/ask`: answers from the archive (bot.ask). Passages of a few sentences, each with its start time in the
-- episode when the transcript had timings, indexed beside the per-item `search_fts` of /search.

-- The timed cues of a transcript (JSON list of [start seconds, text]) when it came as WebVTT, SubRip or
-- Podcasting 2.0 JSON; NULL for untimed transcripts and those stored before this migration.
ALTER TABLE search_transcripts ADD COLUMN cues TEXT CHECK (cues IS NULL OR json_valid(cues));

-- One row per passage. `source` is where the text came from: the transcript, the item's notes (show notes
-- or the newsletter issue) or its newest digest. Deleting an item deletes its passages.
CREATE TABLE ask_passages (
    id            INTEGER PRIMARY KEY,
    item_id       INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    source        TEXT    NOT NULL CHECK (source IN ('transcript', 'notes', 'digest')),
    seq           INTEGER NOT NULL,
    start_seconds REAL,
    text          TEXT    NOT NULL
) STRICT;

CREATE INDEX ask_passages_by_item ON ask_passages (item_id, source, seq);

-- External-content FTS5 over the passages; the porter stemmer lets "released" find "release".
CREATE VIRTUAL TABLE ask_fts USING fts5 (
    text,
    content = 'ask_passages',
    content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER ask_passages_insert AFTER INSERT ON ask_passages BEGIN
    INSERT INTO ask_fts (rowid, text) VALUES (new.id, new.text);
END;

CREATE TRIGGER ask_passages_delete AFTER DELETE ON ask_passages BEGIN
    INSERT INTO ask_fts (ask_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;

-- Items whose passages must be (re)built. Triggers queue an item whenever its text, transcript or digest
-- changes, in whatever process wrote it; `bot.ask.indexer` drains the queue (right after a transcript is
-- stored, before each question, and in the background at start-up and hourly).
-- `version` grows with every change, so a rebuild that read older text leaves the item queued.
CREATE TABLE ask_pending (item_id INTEGER PRIMARY KEY, version INTEGER NOT NULL DEFAULT 1) STRICT;

CREATE TRIGGER ask_items_insert AFTER INSERT ON items BEGIN
    INSERT INTO ask_pending (item_id) VALUES (new.id)
    ON CONFLICT (item_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER ask_items_update AFTER UPDATE OF title, summary_text, shown_text, key, feed_id ON items
WHEN old.title IS NOT new.title OR old.summary_text IS NOT new.summary_text
  OR old.shown_text IS NOT new.shown_text OR old.key IS NOT new.key OR old.feed_id IS NOT new.feed_id
BEGIN
    INSERT INTO ask_pending (item_id) VALUES (new.id)
    ON CONFLICT (item_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER ask_items_delete AFTER DELETE ON items BEGIN
    DELETE FROM ask_pending WHERE item_id = old.id;
END;

CREATE TRIGGER ask_transcripts_insert AFTER INSERT ON search_transcripts BEGIN
    INSERT INTO ask_pending (item_id) SELECT id FROM items WHERE digest_key = new.episode_key
    ON CONFLICT (item_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER ask_transcripts_update AFTER UPDATE ON search_transcripts BEGIN
    INSERT INTO ask_pending (item_id) SELECT id FROM items WHERE digest_key = new.episode_key
    ON CONFLICT (item_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER ask_transcripts_delete AFTER DELETE ON search_transcripts BEGIN
    INSERT INTO ask_pending (item_id) SELECT id FROM items WHERE digest_key = old.episode_key
    ON CONFLICT (item_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER ask_digests_insert AFTER INSERT ON digests BEGIN
    INSERT INTO ask_pending (item_id) SELECT id FROM items WHERE digest_key = new.episode_key
    ON CONFLICT (item_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER ask_digests_update AFTER UPDATE OF data ON digests BEGIN
    INSERT INTO ask_pending (item_id) SELECT id FROM items WHERE digest_key = new.episode_key
    ON CONFLICT (item_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER ask_digests_delete AFTER DELETE ON digests BEGIN
    INSERT INTO ask_pending (item_id) SELECT id FROM items WHERE digest_key = old.episode_key
    ON CONFLICT (item_id) DO UPDATE SET version = version + 1;
END;

-- Per-guild switches set with `/admin ask …`: on or off, and the channels it is limited to (empty: any).
CREATE TABLE ask_guilds (
    guild_id   INTEGER PRIMARY KEY,
    enabled    INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    channels   TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(channels)),
    updated_at TEXT    NOT NULL
) STRICT;

-- Questions asked per guild per UTC day, for the daily cap.
CREATE TABLE ask_daily (
    guild_id  INTEGER NOT NULL,
    day       TEXT    NOT NULL,
    questions INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, day)
) STRICT;

-- Answers given: the cache of identical questions over an unchanged archive (`cache_key` hashes the
-- question, the filters, the retrieved passages and the backend), and what "Post to channel" posts.
CREATE TABLE ask_answers (
    id         INTEGER PRIMARY KEY,
    cache_key  TEXT    NOT NULL UNIQUE,
    guild_id   INTEGER,
    question   TEXT    NOT NULL,
    data       TEXT    NOT NULL CHECK (json_valid(data)),
    created_at TEXT    NOT NULL
) STRICT;

CREATE INDEX ask_answers_by_time ON ask_answers (created_at);

-- The archive so far becomes passages on the first drain after this migration.
INSERT INTO ask_pending (item_id) SELECT id FROM items;
