-- Moderator alerts (mod-log, else the owner's DMs) as an outbox: an alert is recorded before it is sent, so
-- one that meets a transient Discord error (5xx, 429, a timeout) is retried with backoff, even after a
-- restart, instead of being logged and dropped. A permanent refusal (403/404 in the mod-log and in the
-- owner's DMs) leaves the alert `failed` with its error, shown by `/admin status`.
CREATE TABLE alerts (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    text            TEXT    NOT NULL,
    nonce           TEXT    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TEXT,
    last_error      TEXT,
    delivered_to    TEXT    CHECK (delivered_to IS NULL OR delivered_to IN ('mod-log', 'owner')),
    message_id      INTEGER,
    created_at      TEXT    NOT NULL,
    done_at         TEXT
) STRICT;

CREATE INDEX alerts_pending ON alerts (next_attempt_at) WHERE state = 'pending';
CREATE INDEX alerts_by_guild ON alerts (guild_id, state, id);
