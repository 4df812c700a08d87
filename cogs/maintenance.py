"""Runs `bot.maintenance.Maintenance` soon after start-up (a crash may have left a large WAL) and hourly."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from discord.ext import commands, tasks

from bot.maintenance import Maintenance

if TYPE_CHECKING:
    from bot.client import CommunityBot

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 3600.0
FIRST_RUN_DELAY = 5.0  # after ready: let start-up traffic (outbox drain, first polls) go first


class MaintenanceCog(commands.Cog, name="Maintenance"):
    def __init__(
        self, bot: CommunityBot, maintenance: Maintenance, *, first_delay: float = FIRST_RUN_DELAY
    ) -> None:
        self.bot = bot
        self.maintenance = maintenance
        self.first_delay = first_delay

    async def cog_load(self) -> None:
        self.loop.start()

    async def cog_unload(self) -> None:
        self.loop.cancel()

    @tasks.loop(seconds=INTERVAL_SECONDS)
    async def loop(self) -> None:
        if self.bot.is_closed():
            return
        try:
            await self.maintenance.run()
        except Exception:  # an uncaught exception would stop the loop for good
            log.exception("maintenance run failed; the next one is in an hour")

    @loop.before_loop
    async def _before(self) -> None:
        await self.bot.wait_until_ready()
        await asyncio.sleep(self.first_delay)


async def setup(bot: CommunityBot) -> None:
    await bot.add_cog(MaintenanceCog(bot, bot.services.maintenance))
