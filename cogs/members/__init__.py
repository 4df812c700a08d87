"""Member commands: `/latest`, `/episode`, `/search` (with paging buttons) and `/help`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.members.cog import Members
from cogs.members.views import SearchPageButton

if TYPE_CHECKING:
    from bot.client import CommunityBot


async def setup(bot: CommunityBot) -> None:
    bot.add_dynamic_items(SearchPageButton)
    await bot.add_cog(Members(bot, bot.services.search, bot.services.cards))


async def teardown(bot: CommunityBot) -> None:
    bot.remove_dynamic_items(SearchPageButton)
