"""The fleet registry: a process joins (or is refused), heartbeats its status, and leaves.

On both engines for what every process does; on PostgreSQL only for the start-up detection of clashing
processes (on SQLite the file lock already keeps a second process out).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.announce.models import ChannelKind
from bot.fleet import Topology
from bot.fleet.registry import clash
from bot.scaling import TopologyError
from bot.store import Store
from bot.store.fleet import ProcessRow
from bot.timeutil import utcnow
from tests.fleet.helpers import beating, registry
from tests.postgres import postgres_server, postgres_url, store_on_both_engines  # noqa: F401
from tests.threads.helpers import add_episode

EVEN, ODD = 4 << 22, 5 << 22  # guilds on shard 0 and shard 1 of 2


def _row(shard_count: int | None, shard_ids: tuple[int, ...] | None) -> ProcessRow:
    now = utcnow()
    return ProcessRow("b:2:x", "b", 2, "1", shard_count, shard_ids, now, now, {})


def test_which_processes_clash() -> None:
    first = Topology(shard_count=2, shard_ids=(0,))
    assert clash(first, _row(2, (1,))) is None
    assert clash(first, _row(2, (0,))) == "both would run shard 0"
    assert clash(first, _row(3, (1,))) == "it runs SHARD_COUNT 3, this process 2"
    assert clash(first, _row(None, None)) == "it runs every shard"
    assert clash(first, _row(2, (0, 1))) == "it runs every shard"
    every = "this process would run every shard, so no other process may run"
    assert clash(Topology(), _row(2, (1,))) == every
    assert clash(Topology(shard_count=2, shard_ids=(0, 1)), _row(4, (3,))) == every


async def test_a_process_joins_heartbeats_its_status_and_leaves(store: Store) -> None:
    process = registry(store, host="alpha", shard_count=2, shard_ids=(1,))
    await process.join()
    [row] = await store.processes.live(now=utcnow(), window=process.window)
    assert (row.host, row.version, row.shard_count, row.shard_ids) == ("alpha", "9.9.9", 2, (1,))
    await process.heartbeat(latencies={1: 0.0421}, guilds=3)
    [row] = await store.processes.live(now=utcnow(), window=process.window)
    assert row.status == {"guilds": 3, "latency_ms": {"1": 42.1}, "outbox_lag_seconds": None}
    await process.leave()
    assert await store.processes.live(now=utcnow(), window=process.window) == []
    await process.heartbeat(latencies={1: 0.04}, guilds=3)  # after leaving: writes nothing
    assert await store.processes.live(now=utcnow(), window=process.window) == []


async def test_a_process_whose_row_was_forgotten_registers_again(store: Store) -> None:
    process = registry(store, host="alpha", shard_count=2, shard_ids=(0,))
    await process.join()
    [before] = await store.processes.live(now=utcnow(), window=process.window)
    await store.processes.deregister(process.process.id)  # judged dead by another process after a pause
    await process.heartbeat(latencies={0: float("inf")}, guilds=1)
    [after] = await store.processes.live(now=utcnow(), window=process.window)
    assert after.id == before.id and after.started_at == before.started_at
    assert after.status["latency_ms"] == {"0": None}  # no heartbeat acknowledged yet


async def test_the_heartbeat_forgets_processes_that_stopped_beating(store: Store) -> None:
    process = registry(store, host="alpha")
    await process.join()
    await store.processes.register(
        process_id="gone:9:z", host="gone", pid=9, version="1", shard_count=None, shard_ids=None,
        now=utcnow() - timedelta(minutes=5),
    )  # fmt: skip
    await process.heartbeat(latencies={0: 0.01}, guilds=0)
    everyone = await store.processes.live(now=utcnow(), window=timedelta(days=1))
    assert [p.host for p in everyone] == ["alpha"]


async def test_the_outbox_lag_counts_only_the_guilds_of_the_process(store: Store) -> None:
    feed = await store.feeds.add_feed("https://example.com/feed.xml")
    item_id = await add_episode(store, feed.id, "ep1", "Episode 1", utcnow())
    sub = await store.announcements.subscribe(ODD, feed.id, 11, ChannelKind.TEXT)
    async with store.db.transaction() as tx:
        await store.announcements.create_deliveries(tx, item_id=item_id, feed_id=feed.id, subscriptions=[sub])
    later = utcnow() + timedelta(seconds=60)  # the delivery has waited a minute
    lags = {}
    for name, shards in (("even", (0,)), ("odd", (1,)), ("all", None)):
        process = registry(
            store, host=name, shard_count=2 if shards else None, shard_ids=shards, clock=lambda: later
        )
        await process._register()  # the status alone, without the start-up check
        await process.heartbeat(latencies={}, guilds=0)
        [row] = [p for p in await store.processes.live(now=later, window=process.window) if p.host == name]
        lags[name] = row.status["outbox_lag_seconds"]
    assert lags["even"] is None
    assert 59 <= lags["odd"] <= 61 and 59 <= lags["all"] <= 61


async def test_on_sqlite_rows_left_by_dead_processes_never_block_a_start(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        await store.processes.register(
            process_id="old:1:x", host="old", pid=1, version="1", shard_count=None, shard_ids=None,
            now=utcnow(),
        )  # fmt: skip  # killed a second ago: its row still looks live
        process = registry(store, host="new")
        await process.join()
        assert [p.host for p in await store.processes.live(now=utcnow(), window=process.window)] == ["new"]
    finally:
        await store.close()


# Start-up detection on PostgreSQL -----------------------------------------------------------------


Stores = tuple[Store, Store, Store]


@pytest.fixture
async def stores(postgres_url: str) -> AsyncIterator[Stores]:  # noqa: F811
    """Three processes' connections to one PostgreSQL database."""
    opened = [await Store.open(postgres_url, pool_size=2) for _ in range(3)]
    try:
        yield opened[0], opened[1], opened[2]
    finally:
        for store in opened:
            await store.close()


async def test_a_live_process_refuses_a_clashing_one_at_start_up(stores: Stores) -> None:
    first, second, third = stores
    running = registry(first, host="alpha", shard_count=2, shard_ids=(0,), window=timedelta(seconds=3))
    await running.join()
    async with beating(running):
        for shard_count, shard_ids, reason in (
            (2, (0,), "both would run shard 0"),
            (3, (1,), "it runs SHARD_COUNT 2, this process 3"),
            (None, None, "this process would run every shard"),
            (2, (0, 1), "this process would run every shard"),
        ):
            newcomer = registry(second, host="beta", shard_count=shard_count, shard_ids=shard_ids)
            with pytest.raises(TopologyError) as refused:
                await newcomer.join()
            message = str(refused.value)
            assert "\n" not in message and reason in message
            assert "another bot process (alpha:1, shard 0 of 2, version 9.9.9) is live" in message
            assert not newcomer.joined
        partner = registry(third, host="gamma", shard_count=2, shard_ids=(1,))
        await partner.join()
        live = await first.processes.live(now=utcnow(), window=running.window)
        assert sorted(p.host for p in live) == ["alpha", "gamma"]


async def test_a_process_that_runs_every_shard_refuses_any_other(stores: Stores) -> None:
    first, second, _ = stores
    running = registry(first, host="alpha", window=timedelta(seconds=3))
    await running.join()
    async with beating(running):
        with pytest.raises(TopologyError, match="it runs every shard"):
            await registry(second, host="beta", shard_count=2, shard_ids=(1,)).join()


async def test_the_row_of_a_killed_process_is_waited_out_not_refused(stores: Stores) -> None:
    first, second, _ = stores
    window = timedelta(seconds=1.5)
    killed = registry(first, host="alpha", shard_count=2, shard_ids=(0,), window=window)
    await killed.join()  # and then it never beats again
    restarted = registry(second, host="alpha2", shard_count=2, shard_ids=(0,), window=window)
    await asyncio.wait_for(restarted.join(), timeout=5)
    live = await first.processes.live(now=utcnow(), window=window)
    assert [p.host for p in live] == ["alpha2"]


async def test_two_clashing_processes_starting_together_one_starts(stores: Stores) -> None:
    first, second, _ = stores
    pair = [
        registry(store, host=host, shard_count=2, shard_ids=(0,), window=timedelta(seconds=3))
        for store, host in ((first, "alpha"), (second, "beta"))
    ]
    async with beating(pair[0]), beating(pair[1]):
        outcomes = await asyncio.gather(*(p.join() for p in pair), return_exceptions=True)
    assert sum(isinstance(o, TopologyError) for o in outcomes) == 1
    assert sum(p.joined for p in pair) == 1
