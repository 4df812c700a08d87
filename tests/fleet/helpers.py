"""Helpers for the fleet tests: guilds spread over shards, and registries of several processes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime, timedelta

from bot.fleet import ProcessIdentity, Topology, shard_of
from bot.fleet.registry import FleetRegistry
from bot.store import Store
from bot.timeutil import utcnow
from tests.doubles.discord import DiscordDouble, Guild


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
