"""WebSub push's Discord side: the subscriber service, its reconcile loop, and its place in the HTTP server.

Loaded always, active only when push is on (PUBLIC_URL and HTTP_PORT set). Every `RECONCILE_SECONDS` it
subscribes to the hubs of followed feeds, renews leases and unsubscribes feeds nobody follows any more
(`bot.websub.subscriber`). A verified notification polls that feed at once through the running feed
worker, the same call `/admin feed check` makes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from discord.ext import commands, tasks

from bot.http import create_fetcher
from bot.websub.subscriber import WebSubService
from cogs.announcements.feeds import worker_of

if TYPE_CHECKING:
    from bot.client import CommunityBot

log = logging.getLogger(__name__)

RECONCILE_SECONDS = 60.0


class WebSubCog(commands.Cog, name="WebSub"):
    """Owns the `WebSubService` and hands it to the bot's HTTP server for the callback."""

    def __init__(self, bot: CommunityBot, public_url: str) -> None:
        self.bot = bot
        settings = bot.settings
        self.service = WebSubService(
            bot.store,
            bot.http_session,
            create_fetcher(bot.http_session, settings),
            public_url=public_url,
            lease_seconds=settings.websub_lease_seconds,
            ingest=self._ingest,
        )

    async def cog_load(self) -> None:
        self.bot.ops.websub = self.service
        self.reconcile_loop.start()

    async def cog_unload(self) -> None:
        self.reconcile_loop.cancel()
        if self.bot.ops.websub is self.service:
            self.bot.ops.websub = None
        await self.service.close()

    async def _ingest(self, feed_id: int) -> bool:
        """Poll the feed now, as `/admin feed check` does; True when the document changed."""
        result = await worker_of(self.bot).poll_feed(feed_id, force=True)
        log.info("WebSub: feed %s checked after a notification: %s", feed_id, result.outcome)
        return result.outcome == "updated"

    @tasks.loop(seconds=RECONCILE_SECONDS)
    async def reconcile_loop(self) -> None:
        try:
            await self.service.reconcile()
        except Exception:  # an uncaught exception would stop the loop for good
            log.exception("WebSub: the reconcile pass failed; the next one tries again")

    @reconcile_loop.before_loop
    async def _wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()


async def setup(bot: CommunityBot) -> None:
    settings = bot.settings
    if not settings.websub_enabled or settings.public_url is None:
        log.info("WebSub push is off (it needs both PUBLIC_URL and HTTP_PORT)")
        if await bot.store.feeds.clear_push_active():
            log.info(
                "WebSub: push was on in an earlier run; its feeds are polled on their own schedule again"
            )
        return
    await bot.add_cog(WebSubCog(bot, settings.public_url))
