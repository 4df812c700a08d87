-- What members read of an item, kept beside the feed's own text (which stays as published):
-- `shown_text` is the show notes or issue with publisher footers, show-notes sponsor lists and link
-- tracking removed (`bot.feeds.boilerplate`); the search index reads it instead of `summary_text`
-- (NULL, for items stored before this version, falls back to `summary_text` until the item changes).
-- `episode_display` is the Podcasting 2.0 `<podcast:episode display="…">` label ("Ch. 3", "3.5").
ALTER TABLE items ADD COLUMN shown_text TEXT;
ALTER TABLE items ADD COLUMN episode_display TEXT;

DROP TRIGGER search_items_insert;
DROP TRIGGER search_items_update;

CREATE TRIGGER search_items_insert AFTER INSERT ON items BEGIN
    INSERT INTO search_fts (rowid, title, notes, transcript, digest) VALUES (
        new.id, new.title, coalesce(new.shown_text, new.summary_text),
        coalesce((SELECT text FROM search_transcripts WHERE episode_key = new.digest_key), ''),
        coalesce((SELECT text FROM search_digest_text WHERE episode_key = new.digest_key
                  ORDER BY created_at DESC, digest_id DESC LIMIT 1), '')
    );
    INSERT INTO title_versions (feed_id, version) VALUES (new.feed_id, 1)
    ON CONFLICT (feed_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER search_items_update AFTER UPDATE OF title, summary_text, shown_text, key ON items
WHEN old.title IS NOT new.title OR old.summary_text IS NOT new.summary_text
  OR old.shown_text IS NOT new.shown_text OR old.key IS NOT new.key
BEGIN
    UPDATE search_fts SET
        title = new.title,
        notes = coalesce(new.shown_text, new.summary_text),
        transcript = coalesce((SELECT text FROM search_transcripts WHERE episode_key = new.digest_key), ''),
        digest = coalesce((SELECT text FROM search_digest_text WHERE episode_key = new.digest_key
                           ORDER BY created_at DESC, digest_id DESC LIMIT 1), '')
    WHERE rowid = new.id;
END;
