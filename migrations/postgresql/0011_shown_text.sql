-- PostgreSQL counterpart of migrations/0011_shown_text.sql: the search index reads `shown_text` (the notes
-- without publisher boilerplate) instead of `summary_text`, falling back to it while NULL.
ALTER TABLE items ADD COLUMN shown_text TEXT;
ALTER TABLE items ADD COLUMN episode_display TEXT;

CREATE OR REPLACE FUNCTION search_items_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_fts (item_id, title, notes, transcript, digest)
    VALUES (new.id, new.title, coalesce(new.shown_text, new.summary_text),
            search_transcript_of(new.digest_key), search_digest_of(new.digest_key));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION search_items_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE search_fts SET title = new.title, notes = coalesce(new.shown_text, new.summary_text),
        transcript = search_transcript_of(new.digest_key), digest = search_digest_of(new.digest_key)
    WHERE item_id = new.id;
    RETURN NULL;
END
$$;

DROP TRIGGER search_items_update ON items;
CREATE TRIGGER search_items_update AFTER UPDATE OF title, summary_text, shown_text, key ON items
    FOR EACH ROW WHEN (old.title IS DISTINCT FROM new.title OR old.summary_text IS DISTINCT FROM new.summary_text
                       OR old.shown_text IS DISTINCT FROM new.shown_text OR old.key IS DISTINCT FROM new.key)
    EXECUTE FUNCTION search_items_update();
