-- Foundation: facts about the bot itself and per-guild settings.
CREATE TABLE meta (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE guilds (
    guild_id           INTEGER PRIMARY KEY,
    mod_log_channel_id INTEGER,
    created_at         TEXT NOT NULL
) STRICT;
