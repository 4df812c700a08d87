"""Wake-ups across processes: creating deliveries in one process wakes the delivery loop of every other at
once (PostgreSQL LISTEN/NOTIFY), also after the listening connection was lost; SQLite has one process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from bot.announce.models import ChannelKind
from bot.announce.outbox import Outbox
from bot.store import Store
from bot.store.pg_listen import APPLICATION_NAME
from tests.announce.helpers import add_item, podcast
from tests.harness import eventually
from tests.postgres import fresh_database, postgres_server  # noqa: F401

GUILD = 5 << 22


class Waker:
    """What the delivery loop hands the outbox: a wake-up it counts."""

    def __init__(self) -> None:
        self.woken = asyncio.Event()
        self.count = 0

    def __call__(self) -> None:
        self.count += 1
        self.woken.set()

    async def wait(self, timeout: float = 5.0) -> None:
        await asyncio.wait_for(self.woken.wait(), timeout)
        self.woken.clear()


@pytest.fixture
async def two_processes(postgres_server: str) -> AsyncIterator[tuple[Store, Store]]:  # noqa: F811
    """Two stores (two processes' pools) on one fresh PostgreSQL database."""
    async with fresh_database(postgres_server) as url:
        first, second = await Store.open(url, pool_size=2), await Store.open(url, pool_size=2)
        try:
            yield first, second
        finally:
            await first.close()
            await second.close()


async def _episode(store: Store, key: str) -> None:
    feed = await podcast(store)
    await store.announcements.subscribe(GUILD, feed.id, 11, ChannelKind.TEXT)
    await add_item(store, feed, key, f"Episode {key}")


async def test_deliveries_created_in_one_process_wake_the_other(two_processes: tuple[Store, Store]) -> None:
    poller, other = two_processes
    wake = Waker()
    await Outbox(other).watch(wake)
    await _episode(poller, "ep-1")

    assert await Outbox(poller).dispatch_pending() == 1

    await wake.wait()
    assert wake.count == 1


async def test_a_backfill_and_a_resume_wake_the_other_process_too(two_processes: tuple[Store, Store]) -> None:
    first, second = two_processes
    wake = Waker()
    await Outbox(second).watch(wake)
    await _episode(first, "ep-1")
    await Outbox(first).dispatch_pending()
    await wake.wait()
    feed = await podcast(first)
    sub = await first.announcements.subscribe(GUILD + (2 << 22), feed.id, 12, ChannelKind.TEXT)

    assert len(await Outbox(first).backfill(sub, 1)) == 1
    await wake.wait()
    await first.announcements.pause(GUILD, feed.id, "held", by="moderator")
    await first.announcements.resume(GUILD, feed.id)
    await wake.wait()


async def test_an_unwatched_loop_is_not_woken(two_processes: tuple[Store, Store]) -> None:
    first, second = two_processes
    wake, other = Waker(), Waker()
    outbox = Outbox(second)
    await outbox.watch(wake)
    await outbox.watch(other)
    await outbox.unwatch(wake)
    await _episode(first, "ep-1")
    await Outbox(first).dispatch_pending()
    await other.wait()
    assert wake.count == 0


async def test_the_listening_connection_is_opened_again_when_lost(two_processes: tuple[Store, Store]) -> None:
    first, second = two_processes
    wake = Waker()
    await Outbox(second).watch(wake)
    admin = await asyncpg.connect(first.db.url)  # type: ignore[attr-defined]
    try:
        ended = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = $1 AND datname = current_database()",
            APPLICATION_NAME,
        )
        assert ended == 1
    finally:
        await admin.close()
    # Back within the reconnection delay; the loop is woken once then (a signal may have been missed).
    await wake.wait()

    async def listening_again() -> bool:
        return bool(second.db.listener.connections == 2 and second.db.listener.listening)  # type: ignore[attr-defined]

    await eventually(listening_again, timeout=5)
    await _episode(first, "ep-1")
    await Outbox(first).dispatch_pending()
    await wake.wait()


async def test_a_closed_store_stops_listening(two_processes: tuple[Store, Store]) -> None:
    first, second = two_processes
    await Outbox(second).watch(Waker())
    await second.close()

    async def gone() -> bool:
        count = await first.db.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = ?", (APPLICATION_NAME,)
        )
        return int(count) == 0

    await eventually(gone, timeout=5)


async def test_on_sqlite_watching_is_a_quiet_no_op(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "store.sqlite3")
    try:
        wake = Waker()
        await Outbox(store).watch(wake)
        await _episode(store, "ep-1")
        assert await Outbox(store).dispatch_pending() == 1
        await asyncio.sleep(0.05)
        assert wake.count == 0  # one process: the feed events wake its loop, not the database
        await Outbox(store).unwatch(wake)
    finally:
        await store.close()
