"""Each delivery is taken by the process whose shards hold its guild, and claimed so that no two processes
ever send it: on both engines, and concurrently from several pools on one PostgreSQL database."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.announce.outbox import Outbox
from bot.fleet import Topology
from bot.store import Store
from bot.timeutil import utcnow
from tests.announce.helpers import edit_item
from tests.fleet.helpers import WINDOW, claimant, guild_on_shard, ids, register, seed_outbox, shard
from tests.postgres import fresh_database, postgres_server, store_on_both_engines  # noqa: F401

A, B = "host-a:1:aa", "host-b:2:bb"


async def test_a_process_takes_only_the_deliveries_of_its_own_guilds(store: Store) -> None:
    guilds, total = await seed_outbox(store, guilds_per_shard=3, items=2)
    now = utcnow()
    await register(store, A, now, (0,))
    await register(store, B, now, (1,))

    first = await store.announcements.due_sends(now, limit=100, claimant=claimant(A, shard(0)))
    second = await store.announcements.due_sends(now, limit=100, claimant=claimant(B, shard(1)))

    assert {d.guild_id for d in first} == {g for g in guilds if shard(0).owns(g)}
    assert {d.guild_id for d in second} == {g for g in guilds if shard(1).owns(g)}
    assert len(first) + len(second) == total and not ids(first) & ids(second)
    assert [(d.item_id, d.id) for d in first] == sorted((d.item_id, d.id) for d in first)  # oldest item first


async def test_a_live_process_keeps_its_claims_and_a_dead_ones_are_taken_over(store: Store) -> None:
    """Two processes serving the same guilds (a shard moving between them): the claim decides."""
    _, total = await seed_outbox(store, guilds_per_shard=2, items=1)
    start = utcnow()
    await register(store, A, start)
    await register(store, B, start)

    taken = await store.announcements.due_sends(start, limit=100, claimant=claimant(A))
    assert len(taken) == total
    # A is live (its heartbeat is recent): B gets nothing, and A itself gets them again (its own claim).
    later = start + WINDOW / 2
    await store.processes.heartbeat(B, now=later)
    assert await store.announcements.due_sends(later, limit=100, claimant=claimant(B)) == []
    assert ids(await store.announcements.due_sends(later, limit=100, claimant=claimant(A))) == ids(taken)

    # A stops beating (killed); once its heartbeat is older than the window, B takes over every delivery.
    dead = start + WINDOW + timedelta(seconds=1)
    await store.processes.heartbeat(B, now=dead)
    assert ids(await store.announcements.due_sends(dead, limit=100, claimant=claimant(B))) == ids(taken)
    # A, back from a long pause, no longer gets them: they are B's now and B is live.
    assert await store.announcements.due_sends(dead, limit=100, claimant=claimant(A)) == []


async def test_a_clean_stop_frees_the_claims_at_once(store: Store) -> None:
    _, total = await seed_outbox(store, guilds_per_shard=1, items=2)
    now = utcnow()
    await register(store, A, now)
    await register(store, B, now)
    assert len(await store.announcements.due_sends(now, limit=100, claimant=claimant(A))) == total

    await store.processes.deregister(A)

    assert len(await store.announcements.due_sends(now, limit=100, claimant=claimant(B))) == total


async def test_follow_ups_are_claimed_like_sends(store: Store) -> None:
    guilds, _ = await seed_outbox(store, guilds_per_shard=2, items=1)
    now = utcnow()
    await register(store, A, now, (0,))
    await register(store, B, now, (1,))
    for n, delivery in enumerate(await store.announcements.due_sends(now, limit=100)):
        await store.announcements.record_sent(delivery.id, 9000 + n, 1, thread_id=None)

    mine = await store.announcements.due_followups(now, limit=100, claimant=claimant(A, shard(0)))
    assert {d.guild_id for d in mine} == {g for g in guilds if shard(0).owns(g)}
    # Another process given the same shard while A is live does not get them.
    assert await store.announcements.due_followups(now, limit=100, claimant=claimant(B, shard(0))) == []
    theirs = await store.announcements.due_followups(now, limit=100, claimant=claimant(B, shard(1)))
    assert {d.guild_id for d in theirs} == {g for g in guilds if shard(1).owns(g)}
    assert [d.id for d in mine] == sorted(d.id for d in mine)


async def test_retry_times_and_edits_are_read_for_owned_guilds_only(store: Store) -> None:
    feed_guilds, _ = await seed_outbox(store, guilds_per_shard=1, items=1)
    even, odd = (g for g in sorted(feed_guilds, key=lambda g: shard(1).owns(g)))
    now = utcnow()
    deliveries = {d.guild_id: d for d in await store.announcements.due_sends(now, limit=100)}
    await store.announcements.record_failure(deliveries[even].id, "503", retry_at=now + timedelta(seconds=40))
    await store.announcements.record_failure(deliveries[odd].id, "503", retry_at=now + timedelta(seconds=20))

    assert await store.announcements.next_due_at(now, topology=shard(0)) == now + timedelta(seconds=40)
    assert await store.announcements.next_due_at(now, topology=shard(1)) == now + timedelta(seconds=20)
    assert await store.announcements.next_due_at(now) == now + timedelta(seconds=20)  # one process: all

    for n, guild in enumerate((even, odd)):
        await store.announcements.record_sent(deliveries[guild].id, 700 + n, 1, thread_id=None)
    item = await store.feeds.get_item(deliveries[even].item_id)
    assert item is not None
    await edit_item(store, item, title="Episode 0 (corrected)")
    assert [d.guild_id for d in await store.announcements.stale_announcements(topology=shard(0))] == [even]
    assert [d.guild_id for d in await store.announcements.stale_announcements(topology=shard(1))] == [odd]
    assert len(await store.announcements.stale_announcements()) == 2


async def test_the_outbox_of_a_process_claims_for_it(store: Store) -> None:
    guilds, _ = await seed_outbox(store, guilds_per_shard=2, items=1)
    await register(store, A, utcnow(), (1,))
    outbox = Outbox(store, topology=shard(1), process_id=A, liveness=WINDOW)
    other = Outbox(store, process_id=B, liveness=WINDOW)  # a second process serving every shard

    mine = await outbox.due_sends(100)

    assert {d.guild_id for d in mine} == {g for g in guilds if shard(1).owns(g)}
    rest = await other.due_sends(100)
    assert {d.guild_id for d in rest} == {g for g in guilds if shard(0).owns(g)}  # A's claims hold
    assert await outbox.due_sends(100, exclude_guilds=[d.guild_id for d in mine]) == []


# -- concurrency: several processes (stores with pools of their own) on one PostgreSQL database -----------


async def _serve_concurrently(stores: dict[str, tuple[Store, Topology]]) -> dict[str, list[int]]:
    """Every process runs its delivery loop at once: claim a batch of 5, "send" it (recorded as sent), and
    again until nothing is left for it. Returns the deliveries each process received, in order."""
    received: dict[str, list[int]] = {name: [] for name in stores}

    async def serve(process_id: str) -> None:
        store, topology = stores[process_id]
        while batch := await store.announcements.due_sends(
            utcnow(), limit=5, claimant=claimant(process_id, topology)
        ):
            for delivery in batch:
                received[process_id].append(delivery.id)
                await store.announcements.record_sent(delivery.id, 10**6 + delivery.id, 1, thread_id=None)

    await asyncio.gather(*(serve(name) for name in stores))
    return received


async def _stores(url: str, n: int) -> list[Store]:
    return [await Store.open(url, pool_size=4) for _ in range(n)]


async def test_two_sharded_processes_claiming_at_once_never_share_a_delivery(
    postgres_server: str,  # noqa: F811
) -> None:
    async with fresh_database(postgres_server) as url:
        first, second = await _stores(url, 2)
        try:
            guilds, total = await seed_outbox(first, guilds_per_shard=20, items=3)
            by_id = {d.id: d for d in await first.announcements.due_sends(utcnow(), limit=1000)}
            now = utcnow()
            await register(first, A, now, (0,))
            await register(first, B, now, (1,))

            received = await _serve_concurrently({A: (first, shard(0)), B: (second, shard(1))})

            everything = received[A] + received[B]
            assert len(everything) == len(set(everything)) == total  # each delivery to one process, once
            assert {by_id[i].guild_id for i in received[A]} == {g for g in guilds if shard(0).owns(g)}
            assert {by_id[i].guild_id for i in received[B]} == {g for g in guilds if shard(1).owns(g)}
        finally:
            for store in (first, second):
                await store.close()


async def test_processes_serving_the_same_guilds_at_once_never_share_a_delivery(
    postgres_server: str,  # noqa: F811
) -> None:
    """Four processes that all own every guild (a shard handed over, a misconfiguration) claim at once:
    SKIP LOCKED and the claim split the deliveries between them, none twice."""
    async with fresh_database(postgres_server) as url:
        stores = await _stores(url, 4)
        try:
            _, total = await seed_outbox(stores[0], guilds_per_shard=15, items=2)
            names = [f"host-{n}:{n}:p{n}" for n in range(4)]
            for name in names:
                await register(stores[0], name, utcnow())
            processes = {name: (store, Topology()) for name, store in zip(names, stores, strict=True)}

            received = await _serve_concurrently(processes)

            everything = [i for got in received.values() for i in got]
            assert len(everything) == len(set(everything)) == total  # none sent twice, none left behind
            assert sum(1 for got in received.values() if got) >= 2  # the work really was shared
        finally:
            for store in stores:
                await store.close()


def test_guild_ids_of_the_helpers_land_on_their_shards() -> None:
    assert [shard(0).owns(guild_on_shard(n, 0)) for n in range(3)] == [True] * 3
    assert [shard(1).owns(guild_on_shard(n, 1)) for n in range(3)] == [True] * 3
