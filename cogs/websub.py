"""WebSub push's Discord side: the subscriber's reconcile loop.

Loaded always, active only when push is on (PUBLIC_URL and HTTP_PORT set, feeds polled here). Every
`RECONCILE_SECONDS` it subscribes to the hubs of followed feeds, renews leases and unsubscribes feeds
nobody follows any more (`bot.websub.subscriber`); once per fleet, by the holder of the `websub-reconcile`
lease (`bot.fleet.once.FleetJob`). A verified notification polls that feed at once
through the feed worker, the same call `/admin feed check` makes (wired in `bot.container`).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from discord.ext import commands, tasks

if TYPE_CHECKING:
    from bot.client import CommunityBot
    from bot.fleet.once import FleetJob
    from bot.websub.subscriber import WebSubService

log = logging.getLogger(__name__)

RECONCILE_SECONDS = 60.0
LEASE_NAME = "websub-reconcile"


class WebSubCog(commands.Cog, name="WebSub"):
    """Runs the push subscriber's reconcile loop (`bot.container` builds it for the HTTP server)."""

    def __init__(self, bot: CommunityBot, service: WebSubService, job: FleetJob) -> None:
        self.bot = bot
        self.service = service
        self.job = job
        self.reconcile_loop.change_interval(seconds=job.tick_seconds)

    async def cog_load(self) -> None:
        self.reconcile_loop.start()

    async def cog_unload(self) -> None:
        self.reconcile_loop.cancel()
        await self.job.release()
        await self.service.close()

    @tasks.loop(seconds=RECONCILE_SECONDS)
    async def reconcile_loop(self) -> None:
        try:
            await self.job.tick(self.service.reconcile)
        except Exception:  # an uncaught exception would stop the loop for good
            log.exception("WebSub: the reconcile pass failed; the next one tries again")

    @reconcile_loop.before_loop
    async def _wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()


async def setup(bot: CommunityBot) -> None:
    service = bot.services.websub
    if service is None:
        log.info("WebSub push is off (it needs PUBLIC_URL, HTTP_PORT and the feed poller)")
        if await bot.services.feed_directory.forget_push():
            log.info(
                "WebSub: push was on in an earlier run; its feeds are polled on their own schedule again"
            )
        return
    job = bot.services.fleet_leases.job(LEASE_NAME, timedelta(seconds=RECONCILE_SECONDS))
    await bot.add_cog(WebSubCog(bot, service, job))
