-- Feeds (issue 4): one row per fetched URL, shared by every guild, and the items seen in them.
CREATE TABLE feeds (
    id                   INTEGER PRIMARY KEY,
    url                  TEXT NOT NULL UNIQUE,
    name                 TEXT UNIQUE,                       -- 'podcast' / 'newsletter' for the built-ins
    kind                 TEXT NOT NULL DEFAULT 'feed' CHECK (kind IN ('podcast', 'newsletter', 'feed')),
    title                TEXT,
    site_link            TEXT,
    podcast_guid         TEXT,
    image_url            TEXT,
    etag                 TEXT,
    last_modified        TEXT,
    last_fetch_at        TEXT,
    last_success_at      TEXT,
    last_error           TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_poll_at         TEXT,
    status               TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'failing')),
    active               INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    added_at             TEXT NOT NULL,
    first_fetch_done     INTEGER NOT NULL DEFAULT 0 CHECK (first_fetch_done IN (0, 1)),
    announce_newest      INTEGER NOT NULL DEFAULT 0,      -- first fetch: announce this many newest items
    head_hash            TEXT,                            -- channel part without volatile dates
    items_fingerprint    TEXT                             -- hash of the raw item regions, in order
) STRICT;

CREATE INDEX feeds_due ON feeds (active, next_poll_at);

CREATE TABLE items (
    id                   INTEGER PRIMARY KEY,
    feed_id              INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    key                  TEXT NOT NULL,
    guid                 TEXT,
    title                TEXT NOT NULL,
    link                 TEXT,
    published_at         TEXT,
    audio_url            TEXT,
    audio_type           TEXT,
    audio_length         INTEGER,
    duration_seconds     INTEGER,
    season               INTEGER,
    episode_number       INTEGER,
    image_url            TEXT,
    chapters_url         TEXT,
    transcripts          TEXT NOT NULL DEFAULT '[]',      -- JSON list of {url, type, language, rel}
    summary_text         TEXT NOT NULL DEFAULT '',
    content_hash         TEXT NOT NULL,
    raw_hash             TEXT,                            -- hash of the raw <item> region last seen
    norm_link            TEXT,
    norm_title           TEXT,
    revision             INTEGER NOT NULL DEFAULT 1,
    edited_at            TEXT,
    first_seen_at        TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('new', 'skipped')),
    skip_reason          TEXT CHECK (skip_reason IN ('first_run', 'too_old', 'daily_cap', 'duplicate')),
    duplicate_of         INTEGER REFERENCES items (id) ON DELETE SET NULL,
    dispatched_at        TEXT,
    still_in_feed        INTEGER NOT NULL DEFAULT 1 CHECK (still_in_feed IN (0, 1)),
    last_seen_in_feed_at TEXT,
    UNIQUE (feed_id, key)
) STRICT;

CREATE INDEX items_raw_hash ON items (feed_id, raw_hash);
CREATE INDEX items_norm_link ON items (feed_id, norm_link);
CREATE INDEX items_norm_title ON items (feed_id, norm_title);
CREATE INDEX items_published ON items (feed_id, published_at);
CREATE INDEX items_pending ON items (published_at, id) WHERE status = 'new' AND dispatched_at IS NULL;
CREATE INDEX items_duplicate_of ON items (duplicate_of);
