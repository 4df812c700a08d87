-- /episode autocomplete moves from two FTS5 tables to an index held in the bot's memory (bot.search.titles).
--
-- Autocomplete runs on every keystroke. Answered by FTS5 it cost about 1.4 ms of CPU a query over 10,000
-- titles, only 7 times less than a LIKE scan, because most of it was the round trips and the per-tier
-- statements rather than the matching. The in-memory index matches in microseconds; what it needs from the
-- database is to know when its copy of a feed's titles is out of date. That is `title_versions`: a counter per
-- feed, raised by triggers whenever an item of the feed that autocomplete shows is added, retitled,
-- re-dated, marked a duplicate, moved or deleted, by this process or any other. The index compares it with
-- the version it loaded, once per keystroke, in the same query that reads which feeds the guild follows.
--
-- Rows are never deleted, so a feed id that SQLite hands out again after its feed was removed continues the
-- old count and can never match a copy loaded before.

CREATE TABLE title_versions (
    feed_id INTEGER PRIMARY KEY,
    version INTEGER NOT NULL
) STRICT;

INSERT INTO title_versions (feed_id, version) SELECT DISTINCT feed_id, 1 FROM items;

DROP TRIGGER search_items_insert;
DROP TRIGGER search_titles_update;
DROP TRIGGER search_items_delete;
DROP TABLE title_words;
DROP TABLE title_trigram;

CREATE TRIGGER search_items_insert AFTER INSERT ON items BEGIN
    INSERT INTO search_fts (rowid, title, notes, transcript, digest) VALUES (
        new.id, new.title, new.summary_text,
        coalesce((SELECT text FROM search_transcripts WHERE episode_key = new.digest_key), ''),
        coalesce((SELECT text FROM search_digest_text WHERE episode_key = new.digest_key
                  ORDER BY created_at DESC, digest_id DESC LIMIT 1), '')
    );
    INSERT INTO title_versions (feed_id, version) VALUES (new.feed_id, 1)
    ON CONFLICT (feed_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER title_versions_update
AFTER UPDATE OF title, published_at, first_seen_at, duplicate_of, feed_id ON items
WHEN old.title IS NOT new.title OR old.published_at IS NOT new.published_at
  OR old.first_seen_at IS NOT new.first_seen_at OR old.duplicate_of IS NOT new.duplicate_of
  OR old.feed_id IS NOT new.feed_id
BEGIN
    INSERT INTO title_versions (feed_id, version) VALUES (old.feed_id, 1)
    ON CONFLICT (feed_id) DO UPDATE SET version = version + 1;
    INSERT INTO title_versions (feed_id, version) SELECT new.feed_id, 1 WHERE new.feed_id IS NOT old.feed_id
    ON CONFLICT (feed_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER search_items_delete AFTER DELETE ON items BEGIN
    DELETE FROM search_fts WHERE rowid = old.id;
    INSERT INTO title_versions (feed_id, version) VALUES (old.feed_id, 1)
    ON CONFLICT (feed_id) DO UPDATE SET version = version + 1;
END;
