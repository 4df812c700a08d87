"""Helpers for the fleet tests: guilds spread over shards, registries of several processes, and seeding an
outbox several processes share: guilds on known shards following one feed, and registered processes
(through the repositories, no SQL)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime, timedelta

from bot.announce.models import ChannelKind, Delivery
from bot.announce.outbox import Outbox
from bot.fleet import ProcessIdentity, Topology, shard_of
from bot.fleet.registry import FleetRegistry
from bot.store import Store
from bot.store.announcements import Claimant
from bot.timeutil import utcnow
from tests.announce.helpers import add_item, podcast
from tests.doubles.discord import DiscordDouble, Guild

WINDOW = timedelta(seconds=30)
TWO_SHARDS = 2


def guild_on_shard(n: int, shard: int, shards: int = TWO_SHARDS) -> int:
    """The n-th guild id whose shard (of `shards`) is `shard`: Discord's rule is (id >> 22) % shards."""
    return ((n * shards + shard) << 22) + 7


def shard(number: int, of: int = TWO_SHARDS) -> Topology:
    return Topology(shard_count=of, shard_ids=(number,))


async def seed_outbox(store: Store, *, guilds_per_shard: int, items: int) -> tuple[list[int], int]:
    """Guilds on both of two shards follow the podcast; `items` episodes are dispatched to them. Returns the
    guild ids and how many deliveries wait."""
    feed = await podcast(store)
    guilds = [guild_on_shard(n, s) for n in range(guilds_per_shard) for s in range(TWO_SHARDS)]
    for guild in guilds:
        await store.announcements.subscribe(guild, feed.id, guild + 1, ChannelKind.TEXT)
    for n in range(items):
        await add_item(store, feed, f"ep-{n}", f"Episode {n}")
    created = await Outbox(store).dispatch_pending()
    assert created == len(guilds) * items
    return guilds, created


async def register(
    store: Store, process_id: str, now: datetime, shards: tuple[int, ...] | None = None
) -> None:
    """A running process, its heartbeat at `now`."""
    await store.processes.register(
        process_id=process_id,
        host=process_id.split(":")[0],
        pid=1,
        version="test",
        shard_count=TWO_SHARDS if shards is not None else None,
        shard_ids=shards,
        now=now,
    )


def claimant(process_id: str, topology: Topology | None = None) -> Claimant:
    return Claimant(process_id, topology or Topology(), WINDOW)


def ids(deliveries: list[Delivery]) -> set[int]:
    return {d.id for d in deliveries}


async def guilds_on_every_shard(double: DiscordDouble, shard_count: int, *, each: int = 1) -> list[Guild]:
    """Add guilds to the double until every shard holds at least `each` of them.

    The double's guild ids are time-based snowflakes, so the shard (`(id >> 22) % shard_count`, the
    millisecond) of the next guild is not chosen: guilds are added a millisecond apart until each shard
    has its share. Returns every guild added.
    """
    added: list[Guild] = []
    while any(sum(1 for g in added if shard_of(g.id, shard_count) == n) < each for n in range(shard_count)):
        added.append(double.add_guild(f"Community {len(added) + 1}"))
        double.add_text_channel(added[-1], "general")
        await asyncio.sleep(0.002)
    return added


def on_shard(guilds: Iterable[Guild], shard: int, shard_count: int) -> set[int]:
    """The ids of those guilds that Discord puts on `shard`."""
    return {g.id for g in guilds if shard_of(g.id, shard_count) == shard}


def registry(
    store: Store,
    *,
    host: str,
    shard_count: int | None = None,
    shard_ids: tuple[int, ...] | None = None,
    window: timedelta = timedelta(seconds=30),
    clock: Callable[[], datetime] = utcnow,
) -> FleetRegistry:
    """A fleet registry for a process on `host` (pid 1) running these shards, as the container builds it."""
    return FleetRegistry(
        store.processes,
        store.leases,
        topology=Topology(shard_count=shard_count, shard_ids=shard_ids),
        process=ProcessIdentity(id=f"{host}:1:{host}", host=host, pid=1),
        version="9.9.9",
        window=window,
        clock=clock,
    )


@contextlib.asynccontextmanager
async def beating(process: FleetRegistry, every: float = 0.1) -> AsyncIterator[None]:
    """Run the process's heartbeat (as its cog does) while the block runs."""

    async def loop() -> None:
        while True:
            await process.heartbeat(latencies={0: 0.01}, guilds=0)
            await asyncio.sleep(every)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
