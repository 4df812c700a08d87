"""The fleet heartbeat: a `tasks.loop` that refreshes this process's row in the fleet registry.

It runs every third of the liveness window (`LEADER_LEASE_SECONDS`), from the moment the cog loads, not
from readiness: a process connecting many shards must not look dead meanwhile. It writes only when the
runner has joined the fleet (`FleetRegistry.join`, before connecting), so tests and tools that build the
bot without `python -m bot run` leave the registry alone.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from discord.ext import commands, tasks

if TYPE_CHECKING:
    from bot.client import CommunityBot
    from bot.fleet.registry import FleetRegistry

log = logging.getLogger(__name__)


def shard_latencies(bot: CommunityBot) -> dict[int, float | None]:
    """Each running shard's gateway heartbeat latency in seconds (None before its first acknowledgement)."""
    return {shard_id: shard.latency for shard_id, shard in bot.shards.items()}


class FleetHeartbeat(commands.Cog, name="Fleet"):
    """Keeps this process's registry row fresh, with its shards' latency, guild count and outbox lag."""

    def __init__(self, bot: CommunityBot, registry: FleetRegistry) -> None:
        self.bot = bot
        self.registry = registry
        self.beat.change_interval(seconds=registry.interval.total_seconds())

    async def cog_load(self) -> None:
        self.beat.start()

    async def cog_unload(self) -> None:
        self.beat.cancel()

    @tasks.loop(seconds=10)
    async def beat(self) -> None:
        try:
            await self.registry.heartbeat(latencies=shard_latencies(self.bot), guilds=len(self.bot.guilds))
        except Exception:  # an uncaught exception would stop the loop for good
            log.exception("the fleet heartbeat failed; the next beat tries again")


async def setup(bot: CommunityBot) -> None:
    await bot.add_cog(FleetHeartbeat(bot, bot.services.fleet))
