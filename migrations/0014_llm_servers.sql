-- What the bot learned about each LLM server and model, so a restart does not learn it again: the model's
-- context (and where it came from) and the structured-output mode the server accepted. And one row per
-- LLM digest attempt and per failed request, for `/admin digest status` (success rate, failures by cause).
CREATE TABLE llm_servers (
    base_url       TEXT NOT NULL,
    model          TEXT NOT NULL,
    context_tokens INTEGER CHECK (context_tokens IS NULL OR context_tokens > 0),
    context_source TEXT,
    response_mode  TEXT CHECK (response_mode IS NULL OR response_mode IN ('json_schema', 'json_object', 'text')),
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (base_url, model)
) STRICT;

CREATE TABLE llm_events (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('digest', 'failure')),
    ok       INTEGER NOT NULL DEFAULT 0 CHECK (ok IN (0, 1)),
    cause    TEXT CHECK (cause IS NULL OR cause IN ('context', 'cut_off', 'invalid', 'timeout', 'http')),
    detail   TEXT NOT NULL DEFAULT '',
    requests INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX llm_events_by_time ON llm_events (at);
