from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.store import Store
from bot.store.db import (
    Database,
    DatabaseTooNew,
    Migration,
    MigrationError,
    StoreError,
    load_migrations,
)


def _version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


async def test_fresh_database_is_migrated_to_the_latest_version(tmp_path: Path) -> None:
    path = tmp_path / "fresh.sqlite3"
    store = await Store.open(path)
    try:
        assert await store.schema_version() == load_migrations()[-1].version
        assert await store.db.fetchval("PRAGMA journal_mode") == "wal"
        assert await store.db.fetchval("PRAGMA foreign_keys") == 1
        assert await store.db.fetchval("PRAGMA busy_timeout") == 5000
    finally:
        await store.close()
    assert {"meta", "guilds"} <= _tables(path)


async def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "twice.sqlite3"
    first = await Store.open(path)
    await first.meta.set("marker", "kept")
    await first.close()
    second = await Store.open(path)
    try:
        assert await second.meta.get("marker") == "kept"
    finally:
        await second.close()


async def test_a_failing_migration_rolls_back_to_the_previous_version(tmp_path: Path) -> None:
    path = tmp_path / "broken.sqlite3"
    good = Migration(1, "0001_good", "CREATE TABLE a (x INTEGER);")
    broken = Migration(
        2,
        "0002_broken",
        "CREATE TABLE b (y INTEGER); INSERT INTO a VALUES (1); INSERT INTO missing_table VALUES (1);",
    )
    with pytest.raises(MigrationError) as caught:
        await Database.open(path, migrations=[good, broken])
    assert "0002_broken" in str(caught.value)
    assert "version 1" in str(caught.value)
    assert _version(path) == 1
    assert "b" not in _tables(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM a").fetchone()[0] == 0

    fixed = Migration(2, "0002_fixed", "CREATE TABLE b (y INTEGER);")
    db = await Database.open(path, migrations=[good, fixed])
    await db.close()
    assert _version(path) == 2
    assert "b" in _tables(path)


async def test_a_database_newer_than_the_code_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE from_the_future (x)")
        conn.execute("PRAGMA user_version = 999")
    before = path.read_bytes()
    with pytest.raises(DatabaseTooNew) as caught:
        await Store.open(path)
    assert "999" in str(caught.value)
    assert path.read_bytes() == before
    assert not Path(f"{path}-wal").exists()


async def test_migration_files_are_numbered_without_gaps(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0003_c.sql").write_text("SELECT 1;")
    with pytest.raises(StoreError, match="0003_c should be number 0002"):
        load_migrations(tmp_path)


async def test_transactions_roll_back_on_error(store: Store) -> None:
    with pytest.raises(RuntimeError):
        async with store.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO meta (key, value, updated_at) VALUES ('k', 'v', '2026-01-01T00:00:00+00:00')"
            )
            raise RuntimeError("boom")
    assert await store.meta.get("k") is None


async def test_autocomplete_titles_carry_over_from_the_fts_tables_of_0007(tmp_path: Path) -> None:
    path = tmp_path / "upgrade.sqlite3"
    migrations = load_migrations()
    old = await Database.open(path, migrations=[m for m in migrations if m.version <= 7])
    await old.execute(
        "INSERT INTO feeds (id, url, kind, added_at) VALUES (5, 'https://e.test/f', 'feed', 'x')"
    )
    await old.execute(
        "INSERT INTO items (feed_id, key, title, content_hash, first_seen_at, status) "
        "VALUES (5, 'a', 'Open weights', 'h', '2026-01-01T00:00:00+00:00', 'new')"
    )
    await old.close()

    store = await Store.open(path)
    try:
        tables = _tables(path)
        assert "title_versions" in tables and not {"title_words", "title_trigram"} & tables
        assert await store.search.feed_titles(5) == (1, [(1, "Open weights", 1767225600)])
        # The triggers that replaced 0007's still keep /search's index.
        await store.db.execute("UPDATE items SET title = 'Closed weights' WHERE id = 1")
        assert await store.db.fetchval("SELECT count(*) FROM search_fts WHERE search_fts MATCH 'closed'") == 1
        assert (await store.search.feed_titles(5))[0] == 2
        await store.db.execute("DELETE FROM items WHERE id = 1")
        assert await store.db.fetchval("SELECT count(*) FROM search_fts") == 0
        assert await store.search.feed_titles(5) == (3, [])
    finally:
        await store.close()
