"""Runs `bot.maintenance.Maintenance` soon after start-up (a crash may have left a large WAL) and hourly.

Once per fleet: only the process holding the `maintenance` lease runs it (`bot.fleet.once.FleetJob`); the
loop ticks every third of the lease to keep it, and runs the job when it is due. A process that takes the
lease over (the holder died or stopped) runs it at once, then hourly. With one process nothing changes.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from discord.ext import commands, tasks

from bot.maintenance import Maintenance

if TYPE_CHECKING:
    from bot.client import CommunityBot
    from bot.fleet.once import FleetJob

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 3600.0
LEASE_NAME = "maintenance"
FIRST_RUN_DELAY = 5.0  # after ready: let start-up traffic (outbox drain, first polls) go first


class MaintenanceCog(commands.Cog, name="Maintenance"):
    def __init__(
        self,
        bot: CommunityBot,
        maintenance: Maintenance,
        job: FleetJob,
        *,
        first_delay: float = FIRST_RUN_DELAY,
    ) -> None:
        self.bot = bot
        self.maintenance = maintenance
        self.job = job
        self.first_delay = first_delay
        self.loop.change_interval(seconds=job.tick_seconds)

    async def cog_load(self) -> None:
        self.loop.start()

    async def cog_unload(self) -> None:
        self.loop.cancel()
        await self.job.release()

    @tasks.loop(seconds=INTERVAL_SECONDS)
    async def loop(self) -> None:
        if self.bot.is_closed():
            return
        try:
            await self.job.tick(self.maintenance.run)
        except Exception:  # an uncaught exception would stop the loop for good
            log.exception("maintenance run failed; the next one is in an hour")

    @loop.before_loop
    async def _before(self) -> None:
        await self.bot.wait_until_ready()
        await asyncio.sleep(self.first_delay)


async def setup(bot: CommunityBot) -> None:
    job = bot.services.fleet_leases.job(LEASE_NAME, timedelta(seconds=INTERVAL_SECONDS))
    await bot.add_cog(MaintenanceCog(bot, bot.services.maintenance, job))
