-- PostgreSQL counterpart of migrations/0009_ping_once.sql.
ALTER TABLE deliveries ADD COLUMN pinged BIGINT NOT NULL DEFAULT 0 CHECK (pinged IN (0, 1));
