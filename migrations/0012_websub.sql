-- WebSub push: one subscription per feed whose document declares a hub (<atom:link rel="hub">).
-- `callback_token` is the random last segment of the callback URL (it reveals nothing about the feed);
-- `secret` keys the HMAC the hub signs each notification with. `declared` is 0 once the feed stops
-- naming this hub. `state`: 'new' (to subscribe), 'pending' (asked, awaiting the hub's verification),
-- 'active' (verified, until `lease_expires_at`), 'unsubscribing' (asked to stop), 'inactive'.
CREATE TABLE websub_subscriptions (
    id                   INTEGER PRIMARY KEY,
    feed_id              INTEGER NOT NULL UNIQUE REFERENCES feeds (id) ON DELETE CASCADE,
    hub                  TEXT NOT NULL,
    topic                TEXT NOT NULL,
    callback_token       TEXT NOT NULL UNIQUE,
    secret               TEXT NOT NULL,
    declared             INTEGER NOT NULL DEFAULT 1 CHECK (declared IN (0, 1)),
    state                TEXT NOT NULL DEFAULT 'new'
                         CHECK (state IN ('new', 'pending', 'active', 'unsubscribing', 'inactive')),
    requested_at         TEXT,
    lease_seconds        INTEGER,
    lease_expires_at     TEXT,
    last_notification_at TEXT,
    last_error           TEXT,
    last_error_at        TEXT,
    failures             INTEGER NOT NULL DEFAULT 0,
    next_attempt_at      TEXT,
    created_at           TEXT NOT NULL
) STRICT;

-- Read each feed's head once more so the hubs of feeds stored before push existed are found.
UPDATE feeds SET etag = NULL, last_modified = NULL, head_hash = NULL;
