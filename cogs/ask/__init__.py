"""`/ask` for members, `/admin ask …` for moderators, and the "Post to channel" button under answers."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.admin_group import mount_commands, unmount
from cogs.ask.cog import UPKEEP_LEASE, UPKEEP_SECONDS, Ask
from cogs.ask.views import PostAnswerButton

if TYPE_CHECKING:
    from bot.client import CommunityBot

__all__ = ["Ask"]


async def setup(bot: CommunityBot) -> None:
    services = bot.services
    upkeep = services.fleet_leases.job(UPKEEP_LEASE, timedelta(seconds=UPKEEP_SECONDS))
    cog = Ask(bot, services.ask, services.cards, upkeep)
    await bot.add_cog(cog)
    bot.add_dynamic_items(PostAnswerButton)
    mount_commands(bot, cog.admin)


async def teardown(bot: CommunityBot) -> None:
    bot.remove_dynamic_items(PostAnswerButton)
    unmount(bot, "ask")
