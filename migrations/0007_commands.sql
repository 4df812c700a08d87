-- The command surface (issue 9): the moderators' audit log, and full-text search over episodes and issues.

-- Every admin action (and every refused attempt at one), per guild. Arguments are a JSON object of the
-- options as text, never secrets.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    user_name  TEXT    NOT NULL,
    command    TEXT    NOT NULL,
    arguments  TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(arguments)),
    outcome    TEXT    NOT NULL CHECK (outcome IN ('ok', 'refused', 'failed')),
    detail     TEXT,
    channel_id INTEGER,
    created_at TEXT    NOT NULL
) STRICT;

CREATE INDEX audit_by_guild ON audit_log (guild_id, id);
CREATE INDEX audit_by_time ON audit_log (created_at);

-- Digests and transcripts are keyed by `<feed_id>/<item key>` (bot.digest.models.digest_key: item keys are
-- unique only within their feed). The same key, derived once here and indexed, joins them to their item.
ALTER TABLE items ADD COLUMN digest_key TEXT GENERATED ALWAYS AS (feed_id || '/' || key) VIRTUAL;
CREATE INDEX items_digest_key ON items (digest_key);

-- The cleaned transcript text of an episode, by the item key digests use. The digest pipeline fetches and
-- cleans transcripts (bot.digest.source) and hands the text over with SearchRepo.store_transcript.
CREATE TABLE search_transcripts (
    episode_key TEXT PRIMARY KEY,
    text        TEXT NOT NULL,
    source_url  TEXT,
    updated_at  TEXT NOT NULL
) STRICT;

-- One row per item, rowid = items.id. Contentful (snippets need the text); unicode61 folds case and
-- diacritics; prefix indexes make `word*` queries and title autocomplete cheap.
CREATE VIRTUAL TABLE search_fts USING fts5 (
    title, notes, transcript, digest,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3 4'
);

-- Titles again, for /episode autocomplete, with rowid = a recency key: the publication time in seconds
-- shifted left 26 bits, plus the item id (unique below 2^26 items). `ORDER BY rowid DESC LIMIT 25` then
-- reads the newest matches straight from the index and stops, however many titles match. Words (prefix
-- matches) and trigrams (substring matches, "penai" finds "OpenAI"). Duplicates of other items are left out.
CREATE VIRTUAL TABLE title_words USING fts5 (
    title, feed_id UNINDEXED, item_id UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3'
);
CREATE VIRTUAL TABLE title_trigram USING fts5 (title, feed_id UNINDEXED, item_id UNINDEXED, tokenize = 'trigram');

CREATE INDEX search_items_by_key ON items (key);

-- The digest of an item as searchable text: TL;DR, key points, topics, angle and quote.
CREATE VIEW search_digest_text AS
SELECT d.episode_key AS episode_key,
       d.id AS digest_id,
       d.created_at AS created_at,
       trim(
           coalesce(json_extract(d.data, '$.tldr'), '') || ' ' ||
           coalesce((SELECT group_concat(value, ' ') FROM json_each(d.data, '$.key_points')), '') || ' ' ||
           coalesce((SELECT group_concat(value, ' ') FROM json_each(d.data, '$.topics')), '') || ' ' ||
           coalesce(json_extract(d.data, '$.angle'), '') || ' ' ||
           coalesce(json_extract(d.data, '$.quote'), '')
       ) AS text
FROM digests d
WHERE json_valid(d.data);

CREATE TRIGGER search_items_insert AFTER INSERT ON items BEGIN
    INSERT INTO search_fts (rowid, title, notes, transcript, digest) VALUES (
        new.id, new.title, new.summary_text,
        coalesce((SELECT text FROM search_transcripts WHERE episode_key = new.digest_key), ''),
        coalesce((SELECT text FROM search_digest_text WHERE episode_key = new.digest_key
                  ORDER BY created_at DESC, digest_id DESC LIMIT 1), '')
    );
    INSERT INTO title_words (rowid, title, feed_id, item_id)
    SELECT (max(0, coalesce(CAST(strftime('%s', coalesce(new.published_at, new.first_seen_at)) AS INTEGER), 0))
            << 26) | new.id, new.title, new.feed_id, new.id
    WHERE new.duplicate_of IS NULL;
    INSERT INTO title_trigram (rowid, title, feed_id, item_id)
    SELECT (max(0, coalesce(CAST(strftime('%s', coalesce(new.published_at, new.first_seen_at)) AS INTEGER), 0))
            << 26) | new.id, new.title, new.feed_id, new.id
    WHERE new.duplicate_of IS NULL;
END;

CREATE TRIGGER search_items_update AFTER UPDATE OF title, summary_text, key ON items
WHEN old.title IS NOT new.title OR old.summary_text IS NOT new.summary_text OR old.key IS NOT new.key
BEGIN
    UPDATE search_fts SET
        title = new.title,
        notes = new.summary_text,
        transcript = coalesce((SELECT text FROM search_transcripts WHERE episode_key = new.digest_key), ''),
        digest = coalesce((SELECT text FROM search_digest_text WHERE episode_key = new.digest_key
                           ORDER BY created_at DESC, digest_id DESC LIMIT 1), '')
    WHERE rowid = new.id;
END;

CREATE TRIGGER search_titles_update
AFTER UPDATE OF title, published_at, first_seen_at, duplicate_of, feed_id ON items
WHEN old.title IS NOT new.title OR old.published_at IS NOT new.published_at
  OR old.first_seen_at IS NOT new.first_seen_at OR old.duplicate_of IS NOT new.duplicate_of
  OR old.feed_id IS NOT new.feed_id
BEGIN
    DELETE FROM title_words WHERE rowid =
        (max(0, coalesce(CAST(strftime('%s', coalesce(old.published_at, old.first_seen_at)) AS INTEGER), 0))
         << 26) | old.id;
    DELETE FROM title_trigram WHERE rowid =
        (max(0, coalesce(CAST(strftime('%s', coalesce(old.published_at, old.first_seen_at)) AS INTEGER), 0))
         << 26) | old.id;
    INSERT INTO title_words (rowid, title, feed_id, item_id)
    SELECT (max(0, coalesce(CAST(strftime('%s', coalesce(new.published_at, new.first_seen_at)) AS INTEGER), 0))
            << 26) | new.id, new.title, new.feed_id, new.id
    WHERE new.duplicate_of IS NULL;
    INSERT INTO title_trigram (rowid, title, feed_id, item_id)
    SELECT (max(0, coalesce(CAST(strftime('%s', coalesce(new.published_at, new.first_seen_at)) AS INTEGER), 0))
            << 26) | new.id, new.title, new.feed_id, new.id
    WHERE new.duplicate_of IS NULL;
END;

CREATE TRIGGER search_items_delete AFTER DELETE ON items BEGIN
    DELETE FROM search_fts WHERE rowid = old.id;
    DELETE FROM title_words WHERE rowid =
        (max(0, coalesce(CAST(strftime('%s', coalesce(old.published_at, old.first_seen_at)) AS INTEGER), 0))
         << 26) | old.id;
    DELETE FROM title_trigram WHERE rowid =
        (max(0, coalesce(CAST(strftime('%s', coalesce(old.published_at, old.first_seen_at)) AS INTEGER), 0))
         << 26) | old.id;
END;

-- The newest digest of an episode is the one searched.
CREATE TRIGGER search_digests_insert AFTER INSERT ON digests BEGIN
    UPDATE search_fts SET
        digest = coalesce((SELECT text FROM search_digest_text WHERE episode_key = new.episode_key
                           ORDER BY created_at DESC, digest_id DESC LIMIT 1), '')
    WHERE rowid IN (SELECT id FROM items WHERE digest_key = new.episode_key);
END;

CREATE TRIGGER search_digests_update AFTER UPDATE OF data ON digests BEGIN
    UPDATE search_fts SET
        digest = coalesce((SELECT text FROM search_digest_text WHERE episode_key = new.episode_key
                           ORDER BY created_at DESC, digest_id DESC LIMIT 1), '')
    WHERE rowid IN (SELECT id FROM items WHERE digest_key = new.episode_key);
END;

CREATE TRIGGER search_digests_delete AFTER DELETE ON digests BEGIN
    UPDATE search_fts SET
        digest = coalesce((SELECT text FROM search_digest_text WHERE episode_key = old.episode_key
                           ORDER BY created_at DESC, digest_id DESC LIMIT 1), '')
    WHERE rowid IN (SELECT id FROM items WHERE digest_key = old.episode_key);
END;

CREATE TRIGGER search_transcripts_insert AFTER INSERT ON search_transcripts BEGIN
    UPDATE search_fts SET transcript = new.text
    WHERE rowid IN (SELECT id FROM items WHERE digest_key = new.episode_key);
END;

CREATE TRIGGER search_transcripts_update AFTER UPDATE OF text ON search_transcripts BEGIN
    UPDATE search_fts SET transcript = new.text
    WHERE rowid IN (SELECT id FROM items WHERE digest_key = new.episode_key);
END;

CREATE TRIGGER search_transcripts_delete AFTER DELETE ON search_transcripts BEGIN
    UPDATE search_fts SET transcript = ''
    WHERE rowid IN (SELECT id FROM items WHERE digest_key = old.episode_key);
END;

-- Items stored before this migration.
INSERT INTO search_fts (rowid, title, notes, transcript, digest)
SELECT i.id, i.title, i.summary_text, '',
       coalesce((SELECT text FROM search_digest_text WHERE episode_key = i.digest_key
                 ORDER BY created_at DESC, digest_id DESC LIMIT 1), '')
FROM items i;
INSERT INTO title_words (rowid, title, feed_id, item_id)
SELECT (max(0, coalesce(CAST(strftime('%s', coalesce(published_at, first_seen_at)) AS INTEGER), 0)) << 26) | id,
       title, feed_id, id
FROM items WHERE duplicate_of IS NULL;
INSERT INTO title_trigram (rowid, title, feed_id, item_id)
SELECT rowid, title, feed_id, item_id FROM title_words;
