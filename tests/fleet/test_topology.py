"""Which guilds a process owns: Discord's shard formula, and the same answer from Python and from SQL."""

from __future__ import annotations

import pytest

from bot.fleet import ProcessIdentity, Topology, shard_of
from bot.store import Store
from tests.postgres import postgres_server, store_on_both_engines  # noqa: F401

# Guild ids whose shard (of 2) is known: the shard is (id >> 22) % 2.
EVEN = 4 << 22  # shard 0
ODD = 5 << 22  # shard 1


def test_a_process_with_every_shard_owns_every_guild() -> None:
    for topology in (Topology(), Topology(shard_count=2), Topology(shard_count=2, shard_ids=(0, 1))):
        assert not topology.partial
        assert topology.owns(EVEN) and topology.owns(ODD)
        assert topology.guild_filter() == ("1 = 1", ())


def test_a_process_with_some_shards_owns_only_their_guilds() -> None:
    first, second = Topology(shard_count=2, shard_ids=(0,)), Topology(shard_count=2, shard_ids=(1,))
    assert first.partial and second.partial
    assert (first.owns(EVEN), first.owns(ODD)) == (True, False)
    assert (second.owns(EVEN), second.owns(ODD)) == (False, True)
    assert shard_of(ODD, 2) == 1 and first.shards == (0,)
    assert first.owned([EVEN, ODD, EVEN + (2 << 22)]) == [EVEN, EVEN + (2 << 22)]


@pytest.mark.asyncio
async def test_the_sql_filter_agrees_with_python(store: Store) -> None:
    guilds = [g << 22 for g in range(12)] + [1_234_567_890_123_456_789, 987_654_321_098_765_432]
    topology = Topology(shard_count=3, shard_ids=(0, 2))
    condition, params = topology.guild_filter("g")
    values = " UNION ALL ".join("SELECT CAST(? AS BIGINT) AS g" for _ in guilds)
    query = f"SELECT g FROM ({values}) AS t WHERE {condition}"  # noqa: S608 (fixed text, values bound)
    rows = await store.db.fetchall(query, (*guilds, *params))
    assert sorted(int(r["g"]) for r in rows) == sorted(topology.owned(guilds))


def test_process_identities_name_host_and_pid_and_differ() -> None:
    first, second = ProcessIdentity(), ProcessIdentity()
    assert first.id != second.id
    assert str(first.pid) in first.id and first.host in first.id


@pytest.mark.asyncio
async def test_the_registry_knows_live_processes_and_forgets_dead_ones(store: Store) -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    window = timedelta(seconds=30)
    for name, shards in (("a:1:x", (0,)), ("b:2:y", (1,))):
        await store.processes.register(
            process_id=name, host=name[0], pid=1, version="1", shard_count=2, shard_ids=shards, now=now
        )
    assert await store.processes.heartbeat("a:1:x", now=now + timedelta(seconds=25), status={"guilds": 2})
    later = now + timedelta(seconds=40)
    live = await store.processes.live(now=later, window=window)
    assert [(p.id, p.shard_ids, p.status) for p in live] == [("a:1:x", (0,), {"guilds": 2})]
    assert await store.processes.forget_dead(now=later, window=window) == 1
    assert not await store.processes.heartbeat("b:2:y", now=later)
    await store.processes.deregister("a:1:x")
    assert await store.processes.live(now=later, window=window) == []
