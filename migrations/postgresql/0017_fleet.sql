-- PostgreSQL counterpart of migrations/0017_fleet.sql.
CREATE TABLE processes (
    id           TEXT    PRIMARY KEY,
    host         TEXT    NOT NULL,
    pid          BIGINT  NOT NULL,
    version      TEXT    NOT NULL,
    shard_count  BIGINT,
    shard_ids    TEXT,
    started_at   TEXT    NOT NULL,
    heartbeat_at TEXT    NOT NULL,
    status       TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(status))
);

CREATE INDEX processes_heartbeat ON processes (heartbeat_at);

ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE deliveries ADD COLUMN claimed_at TEXT;
