"""The moderator console: `/admin setup`, `/admin status`, `/admin audit`, and the audit-log recorder."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.console.cog import Console

if TYPE_CHECKING:
    from bot.client import CommunityBot


async def setup(bot: CommunityBot) -> None:
    await bot.add_cog(Console(bot, bot.services.setup, bot.services.audit))
