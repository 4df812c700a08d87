-- PostgreSQL counterpart of migrations/0013_schedule.sql (REAL is double precision here).
ALTER TABLE feeds ADD COLUMN declared_interval DOUBLE PRECISION;
ALTER TABLE feeds ADD COLUMN declared_rrule TEXT;
ALTER TABLE feeds ADD COLUMN feed_complete BIGINT NOT NULL DEFAULT 0 CHECK (feed_complete IN (0, 1));
ALTER TABLE feeds ADD COLUMN cache_max_age DOUBLE PRECISION;
ALTER TABLE feeds ADD COLUMN poll_reason TEXT;
ALTER TABLE feeds ADD COLUMN push_active BIGINT NOT NULL DEFAULT 0 CHECK (push_active IN (0, 1));
