"""`/admin feed`'s feed and item options as Discord choices, and the permission check its commands share."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.announce.models import ChannelKind, Subscription

if TYPE_CHECKING:
    from bot.announce.directory import FeedDirectory

log = logging.getLogger(__name__)


def channel_problems(channel: discord.abc.GuildChannel, sub: Subscription | None) -> str:
    """The permissions the bot lacks in `channel` to announce there, as a readable list ("" when none)."""
    me = channel.guild.me
    if me is None:
        return ""
    perms = channel.permissions_for(me)
    needed = ["view_channel", "send_messages", "embed_links"]
    if sub is not None and (sub.channel_kind is ChannelKind.FORUM or sub.threads_enabled):
        needed.append("send_messages_in_threads")
        if sub.channel_kind is ChannelKind.TEXT:
            needed.append("create_public_threads")
    missing = [name for name in needed if not getattr(perms, name)]
    return ", ".join(name.replace("_", " ").title() for name in missing)


class FeedLookup:
    """`/admin feed`'s options in Discord's terms, over the announcements' `FeedDirectory`."""

    def __init__(self, directory: FeedDirectory) -> None:
        self.directory = directory
        self.resolve = directory.resolve
        self.add = directory.add
        self.forget_if_unused = directory.forget_if_unused
        self.item = directory.item
        self.worker = directory.worker

    async def choices(
        self, guild_id: int | None, current: str, *, followed_only: bool
    ) -> list[app_commands.Choice[str]]:
        if guild_id is None:
            return []
        options = await self.directory.feed_options(guild_id, current, followed_only=followed_only)
        return [app_commands.Choice(name=o.label, value=o.value) for o in options]

    async def item_choices(self, guild_id: int | None, current: str) -> list[app_commands.Choice[str]]:
        if guild_id is None:
            return []
        options = await self.directory.item_options(guild_id, current)
        return [app_commands.Choice(name=o.label, value=o.value) for o in options]
