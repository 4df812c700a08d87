-- Digests (issue 6): one row per (episode, source text, backend, model, prompt version), so the same
-- episode is never summarized (or paid for) twice; and LLM token use per UTC day for the daily budget.
-- Episodes are referenced by their stable key (the feed item's key, e.g. the GUID) rather than a foreign
-- key, so a digest survives a feed being removed and re-added and the CLI can digest local files too.
CREATE TABLE digests (
    id             INTEGER PRIMARY KEY,
    episode_key    TEXT NOT NULL,
    title          TEXT NOT NULL DEFAULT '',
    source_hash    TEXT NOT NULL,
    source_kind    TEXT NOT NULL,
    backend        TEXT NOT NULL CHECK (backend IN ('llm', 'offline')),
    model          TEXT NOT NULL,
    prompt_version TEXT NOT NULL,
    data           TEXT NOT NULL,
    tokens_in      INTEGER NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
    tokens_out     INTEGER NOT NULL DEFAULT 0 CHECK (tokens_out >= 0),
    chunks         INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    UNIQUE (episode_key, source_hash, backend, model, prompt_version)
) STRICT;

CREATE INDEX digests_by_episode ON digests (episode_key, created_at DESC);
CREATE INDEX digests_by_time ON digests (created_at DESC);

CREATE TABLE llm_usage_daily (
    day        TEXT PRIMARY KEY,  -- UTC date, YYYY-MM-DD
    tokens_in  INTEGER NOT NULL DEFAULT 0,
    tokens_out INTEGER NOT NULL DEFAULT 0,
    requests   INTEGER NOT NULL DEFAULT 0,
    fallbacks  INTEGER NOT NULL DEFAULT 0
) STRICT;
