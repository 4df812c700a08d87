-- PostgreSQL counterpart of migrations/0008_title_index.sql: a titles version per feed, raised by triggers
-- whenever an item autocomplete shows is added, retitled, re-dated, marked a duplicate, moved or deleted.
-- Rows are never deleted.

CREATE TABLE title_versions (
    feed_id BIGINT PRIMARY KEY,
    version BIGINT NOT NULL
);

INSERT INTO title_versions (feed_id, version) SELECT DISTINCT feed_id, 1 FROM items;

CREATE FUNCTION title_versions_bump(feed bigint) RETURNS void LANGUAGE sql AS $$
    INSERT INTO title_versions (feed_id, version) VALUES (feed, 1)
    ON CONFLICT (feed_id) DO UPDATE SET version = title_versions.version + 1
$$;

CREATE FUNCTION title_versions_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM title_versions_bump(old.feed_id);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND new.feed_id IS DISTINCT FROM old.feed_id) THEN
        PERFORM title_versions_bump(new.feed_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER title_versions_insert AFTER INSERT ON items
    FOR EACH ROW EXECUTE FUNCTION title_versions_changed();
CREATE TRIGGER title_versions_update
    AFTER UPDATE OF title, published_at, first_seen_at, duplicate_of, feed_id ON items
    FOR EACH ROW WHEN (old.title IS DISTINCT FROM new.title OR old.published_at IS DISTINCT FROM new.published_at
        OR old.first_seen_at IS DISTINCT FROM new.first_seen_at
        OR old.duplicate_of IS DISTINCT FROM new.duplicate_of OR old.feed_id IS DISTINCT FROM new.feed_id)
    EXECUTE FUNCTION title_versions_changed();
CREATE TRIGGER title_versions_delete AFTER DELETE ON items
    FOR EACH ROW EXECUTE FUNCTION title_versions_changed();
