"""Thread tracking: `/threads`, `/admin threads …`, counting, reconciliation, the weekly post."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.admin_group import mount, unmount
from cogs.threads.cog import ThreadsCog
from cogs.threads.commands import ThreadsListing

if TYPE_CHECKING:
    from bot.client import CommunityBot

__all__ = ["ThreadsCog"]


async def setup(bot: CommunityBot) -> None:
    services = bot.services
    cog = ThreadsCog(
        bot,
        services.tracker,
        services.threads,
        episodes=services.episodes,
        polls=services.poll_results,
        alerts=services.alerts,
        claim=services.fleet_leases.gate,  # the weekly post: one process at a time per guild
    )
    await bot.add_cog(cog)
    await bot.add_cog(ThreadsListing(services.threads))
    mount(bot, cog.admin)


async def teardown(bot: CommunityBot) -> None:
    unmount(bot, "threads")
