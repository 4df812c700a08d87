-- The fleet: every running bot process registers here and writes a heartbeat (a process whose heartbeat
-- is older than the lease is dead), and each delivery records which process claimed it, so two processes
-- never send the same one. A claim by a dead process is void.
CREATE TABLE processes (
    id           TEXT    PRIMARY KEY,
    host         TEXT    NOT NULL,
    pid          INTEGER NOT NULL,
    version      TEXT    NOT NULL,
    shard_count  INTEGER,
    shard_ids    TEXT,
    started_at   TEXT    NOT NULL,
    heartbeat_at TEXT    NOT NULL,
    status       TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(status))
) STRICT;

CREATE INDEX processes_heartbeat ON processes (heartbeat_at);

ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE deliveries ADD COLUMN claimed_at TEXT;
