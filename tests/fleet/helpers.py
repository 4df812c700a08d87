"""Helpers for the fleet tests: guilds spread over shards, and several bot processes in one test."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from bot.fleet import shard_of
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
