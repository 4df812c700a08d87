"""The database's two read paths besides plain queries: `peek` (a read-only connection on the loop's own
thread, for autocomplete's per-keystroke lookup) and `snapshot` (several reads of one committed state)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.store import Store
from bot.store.db import Database
from tests.postgres import commit_elsewhere


async def test_peek_sees_committed_rows_only(store: Store) -> None:
    await store.meta.set("colour", "blue")
    inside, release = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with store.db.transaction() as tx:
            await tx.execute("UPDATE meta SET value = 'red' WHERE key = 'colour'")
            inside.set()
            await release.wait()

    task = asyncio.create_task(writer())
    await inside.wait()
    # Half done: the shared connection would show "red"; the read-only one shows what is committed.
    assert [row[0] for row in await store.db.peek("SELECT value FROM meta WHERE key = 'colour'")] == ["blue"]
    release.set()
    await task
    assert [row[0] for row in await store.db.peek("SELECT value FROM meta WHERE key = 'colour'")] == ["red"]


async def test_peek_is_answered_by_the_shared_connection_when_no_reader_can_open() -> None:
    db = await Database.open(":memory:")  # a second connection would open a different, empty database
    try:
        rows = await db.peek("SELECT count(*) FROM sqlite_master WHERE name = 'title_versions'")
        assert rows[0][0] == 1
    finally:
        await db.close()


async def test_a_snapshot_is_one_state_whatever_commits_meanwhile(store: Store, tmp_path: Path) -> None:
    await store.meta.set("n", "1")
    async with store.db.snapshot() as tx:
        first = await tx.fetchone("SELECT value FROM meta WHERE key = 'n'")
        await commit_elsewhere(store, tmp_path, "UPDATE meta SET value = '2' WHERE key = 'n'")
        second = await tx.fetchone("SELECT value FROM meta WHERE key = 'n'")
    assert first is not None and second is not None and first[0] == second[0] == "1"
    assert await store.meta.get("n") == "2"


def _open_files(path: Path) -> int:
    """How many of this process's file descriptors point at `path` (Linux)."""
    found = 0
    for fd in Path("/proc/self/fd").iterdir():
        try:
            found += fd.resolve() == path.resolve()
        except OSError:
            continue
    return found


async def test_closing_closes_the_reader_too(tmp_path: Path) -> None:
    path = tmp_path / "closing.sqlite3"
    store = await Store.open(path)
    assert _open_files(path) == 1
    assert await store.db.peek("SELECT 1")
    assert _open_files(path) == 2  # the shared connection and the reader
    await store.close()
    assert _open_files(path) == 0
