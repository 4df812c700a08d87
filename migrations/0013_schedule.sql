-- Polling that knows the schedule: what the feed and its server declare, and why the next poll is when it is.
-- The learned publishing pattern itself is not stored: it is recomputed from the items' publication times.
ALTER TABLE feeds ADD COLUMN declared_interval REAL;          -- seconds between updates (ttl, sy:, podcast:updateFrequency)
ALTER TABLE feeds ADD COLUMN declared_rrule TEXT;             -- podcast:updateFrequency rrule, with its dtstart
ALTER TABLE feeds ADD COLUMN feed_complete INTEGER NOT NULL DEFAULT 0 CHECK (feed_complete IN (0, 1));
ALTER TABLE feeds ADD COLUMN cache_max_age REAL;              -- Cache-Control max-age of the last answer
ALTER TABLE feeds ADD COLUMN poll_reason TEXT;                -- why next_poll_at is when it is (for moderators)
ALTER TABLE feeds ADD COLUMN push_active INTEGER NOT NULL DEFAULT 0 CHECK (push_active IN (0, 1));
