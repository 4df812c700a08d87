-- One role ping per burst of announcements (issue 5): which delivery's message pinged the feed's role.
-- A backlog announced together (after a pause is resumed, or several items found in one poll) pings once,
-- with its first message; `bot.announce.delivery.PING_COOLDOWN` sets how long a ping covers what follows.
ALTER TABLE deliveries ADD COLUMN pinged INTEGER NOT NULL DEFAULT 0 CHECK (pinged IN (0, 1));
