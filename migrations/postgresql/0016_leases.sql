-- PostgreSQL counterpart of migrations/0016_leases.sql.
CREATE TABLE leases (
    name        TEXT   PRIMARY KEY,
    holder      TEXT   NOT NULL,
    term        BIGINT NOT NULL DEFAULT 1 CHECK (term >= 1),
    acquired_at TEXT   NOT NULL,
    renewed_at  TEXT   NOT NULL,
    expires_at  TEXT   NOT NULL
);
