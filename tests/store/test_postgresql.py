"""PostgreSQL's own migrations and the move of a SQLite database onto it (`python -m bot copy-db`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from bot.cli import EXIT_OK, EXIT_STORE, main
from bot.store import Store
from bot.store.db import DatabaseTooNew, Migration, MigrationError, load_migrations
from bot.store.pg import PgDatabase, load_pg_migrations
from tests.commands.seed import digest, episode, follow, podcast


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
        return {row[0] for row in rows}
    finally:
        await conn.close()


async def _empty(url: str) -> str:
    """A database with nothing in it, on the same server as `url`."""
    base, _, name = url.rpartition("/")
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()
    return f"{base}/{name}"


def test_the_two_migration_sets_move_in_step() -> None:
    sqlite = [(m.version, m.name) for m in load_migrations()]
    postgresql = [(m.version, m.name) for m in load_pg_migrations()]
    assert postgresql == sqlite


async def test_a_failing_migration_rolls_back_and_a_newer_database_is_refused_untouched(
    postgres_url: str,
) -> None:
    url = await _empty(postgres_url)
    good = Migration(1, "0001_good", "CREATE TABLE a (x integer);")
    broken = Migration(
        2, "0002_broken", "CREATE TABLE b (y integer); INSERT INTO a VALUES (1); SELECT nope();"
    )
    with pytest.raises(MigrationError, match=r"0002_broken .*version 1"):
        await PgDatabase.open(url, migrations=[good, broken])
    assert await _tables(url) == {"a", "schema_version"}

    fixed = Migration(2, "0002_fixed", "CREATE TABLE b (y integer);")
    db = await PgDatabase.open(url, migrations=[good, fixed])
    assert await db.schema_version() == 2
    await db.close()

    with pytest.raises(DatabaseTooNew, match=r"schema version 2.* only knows up to 1"):
        await PgDatabase.open(url, migrations=[good])
    assert await _tables(url) == {"a", "b", "schema_version"}
    db = await PgDatabase.open(url, migrations=[good, fixed])
    assert await db.schema_version() == 2
    await db.close()


async def test_two_processes_migrating_at_once_migrate_once(postgres_url: str) -> None:
    url = await _empty(postgres_url)
    first, second = await asyncio.gather(Store.open(url, pool_size=1), Store.open(url, pool_size=1))
    try:
        assert await first.schema_version() == await second.schema_version() == load_migrations()[-1].version
    finally:
        await first.close()
        await second.close()


def test_migrate_command_on_postgresql(postgres_url: str, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    url = asyncio.run(_empty(postgres_url))
    monkeypatch.setenv("DATABASE_URL", url.replace("postgres@", "postgres:hunter2@"))
    assert main(["migrate"]) == EXIT_OK
    out = capsys.readouterr().out
    assert f"is at schema version {load_migrations()[-1].version}" in out
    assert "hunter2" not in out and "***" in out


async def _seed(path: Path) -> None:
    store = await Store.open(path)
    try:
        feed = await podcast(store)
        await follow(store, 77, feed)
        for n in range(30):
            item = await episode(store, feed, f"k{n}", f"Episode {n} on open weights", days_ago=n)
            if n % 3 == 0:
                await digest(store, item, f"Llamas and tokens number {n}.")
        await store.search.store_transcript(f"{feed.id}/k1", "a transcript about gradient descent")
    finally:
        await store.close()


def test_copy_db_moves_everything_and_refuses_a_filled_target(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    source = tmp_path / "bot.sqlite3"
    asyncio.run(_seed(source))
    target = asyncio.run(_empty(postgres_url))
    monkeypatch.setenv("DATABASE_PATH", str(source))
    assert main(["copy-db", "--to", target]) == EXIT_OK
    out = capsys.readouterr().out
    assert "items: 30 rows" in out and "digests: 10 rows" in out and "row counts match" in out

    async def check() -> None:
        store = await Store.open(target)
        try:
            hits, total = await store.search.search('"gradient"', 77, limit=5)
            assert total == 1 and hits[0].title == "Episode 1 on open weights"
            assert (await store.search.search('"llamas"', 77, limit=5))[1] == 10
            feed = await store.feeds.get_feed_by_name("podcast")
            assert feed is not None
            # The planner has the copied rows' statistics at once (not an empty table's).
            analysed = "SELECT reltuples FROM pg_class WHERE relname = 'items'"
            assert await store.db.fetchval(analysed) == 30
            # New rows continue after the copied ids.
            item = await episode(store, feed, "new", "After the move")
            assert item.id == 31
            assert [c.item_id for c in [await store.cards.latest(77)] if c] == [item.id]
        finally:
            await store.close()

    asyncio.run(check())
    assert main(["copy-db", "--to", target]) == EXIT_STORE
    assert "already holds data" in capsys.readouterr().err
