"""Announcements: the outbox loops, `/admin feed …`, `/admin modlog`, and member ping opt-in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.admin_group import mount, mount_commands, unmount
from cogs.announcements.admin import FeedAdmin, ModlogAdmin
from cogs.announcements.autoresume import AutoResume
from cogs.announcements.cog import Announcements
from cogs.announcements.members import NotifyToggle, Subscriptions

if TYPE_CHECKING:
    from bot.client import CommunityBot

__all__ = ["Announcements"]


async def setup(bot: CommunityBot) -> None:
    cog = Announcements(bot, bot.services)
    await bot.add_cog(cog)
    await bot.add_cog(Subscriptions(bot, bot.services.feed_directory))
    await bot.add_cog(AutoResume(bot, cog, bot.services.feed_directory))
    bot.add_dynamic_items(NotifyToggle)
    mount(bot, FeedAdmin(bot, cog, bot.services.feed_directory))
    mount_commands(bot, ModlogAdmin(bot.services.feed_directory))


async def teardown(bot: CommunityBot) -> None:
    unmount(bot, "feed")
    unmount(bot, "modlog")
    bot.remove_dynamic_items(NotifyToggle)
