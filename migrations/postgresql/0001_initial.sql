-- PostgreSQL counterpart of migrations/0001_initial.sql (see docs/scaling.md: the two sets move in step,
-- one file per version in each). Types: INTEGER -> BIGINT (Discord ids do not fit 32 bits), times stay ISO
-- 8601 TEXT written by bot.timeutil.to_db (sortable, identical on both engines), flags stay 0/1 integers.

-- What the repositories' shared SQL expects of the engine, beyond standard SQL:
-- `COLLATE NOCASE` (SQLite's name) sorts without regard to case,
CREATE COLLATION IF NOT EXISTS nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);

-- `instr(haystack, needle)`: the position of the first occurrence, 0 when absent,
CREATE FUNCTION instr(haystack text, needle text) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS 'SELECT strpos(haystack, needle)';

-- `json_valid(text)`: whether the text is well-formed JSON.
CREATE FUNCTION json_valid(value text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    PERFORM value::jsonb;
    RETURN value IS NOT NULL;
EXCEPTION WHEN others THEN
    RETURN false;
END
$$;

CREATE TABLE meta (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE guilds (
    guild_id           BIGINT PRIMARY KEY,
    mod_log_channel_id BIGINT,
    created_at         TEXT NOT NULL
);
