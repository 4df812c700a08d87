"""Community polls: the `/poll` commands, native vote mirroring, anonymous vote buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.polls.cog import Polls

if TYPE_CHECKING:
    from bot.client import CommunityBot


async def setup(bot: CommunityBot) -> None:
    await bot.add_cog(Polls(bot, bot.services.polls, bot.services.poll_closer))
