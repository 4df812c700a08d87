"""Resuming a feed paused for a missing permission as soon as the permission is back.

A 403 pauses a server's subscription (see `bot.announce.delivery`) and the moderators are told what to
give the bot. When they do, Discord sends a channel update (an overwrite changed) or a role update (the
bot's role, or @everyone): the subscriptions paused for a missing permission in that server are checked
against the bot's permissions as the gateway now reports them, and each that can post again is resumed,
with a line in the mod-log. A paced re-check (every `RECHECK_EVERY`, and once at start-up) catches a fix
the bot missed, such as one made while it was down. It only reads the gateway cache: no REST calls.

Pauses for a deleted channel, by a moderator, or because the bot left the server are never resumed here.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import discord
from discord.ext import commands, tasks

from bot.render.text import defang_mentions, truncate
from cogs.announcements.feeds import channel_problems

if TYPE_CHECKING:
    from bot.announce.directory import FeedDirectory
    from bot.client import CommunityBot
    from cogs.announcements.cog import Announcements

log = logging.getLogger(__name__)

#: The start of `pause_reason` for a 403 pause (`bot.announce.delivery.Announcer._failed`).
MISSING_PERMISSIONS = "missing permissions"
RECHECK_EVERY = timedelta(minutes=10)


class AutoResume(commands.Cog, name="AutoResume"):
    """Watches permission changes and resumes what a missing permission paused."""

    def __init__(self, bot: CommunityBot, announcements: Announcements, directory: FeedDirectory) -> None:
        self.bot = bot
        self.announcements = announcements
        self.directory = directory
        self._lock = asyncio.Lock()
        self.resumed = 0  # subscriptions resumed since start (for tests and logs)
        self.recheck.change_interval(seconds=RECHECK_EVERY.total_seconds())

    async def cog_load(self) -> None:
        self.recheck.start()

    async def cog_unload(self) -> None:
        self.recheck.cancel()

    @tasks.loop(minutes=10)
    async def recheck(self) -> None:
        for guild in list(self.bot.guilds):
            try:
                await self.check_guild(guild)
            except Exception:
                log.exception("re-checking the paused feeds of guild %s failed", guild.id)

    @recheck.before_loop
    async def _before_recheck(self) -> None:
        await self.bot.wait_until_ready()

    @commands.Cog.listener()
    async def on_guild_channel_update(
        self, before: discord.abc.GuildChannel, after: discord.abc.GuildChannel
    ) -> None:
        if before.overwrites != after.overwrites or getattr(before, "category_id", None) != getattr(
            after, "category_id", None
        ):
            await self._safely(after.guild)

    @commands.Cog.listener()
    async def on_guild_role_update(self, before: discord.Role, after: discord.Role) -> None:
        if before.permissions != after.permissions:
            await self._safely(after.guild)

    @commands.Cog.listener()
    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        if self.bot.user is not None and after.id == self.bot.user.id and before.roles != after.roles:
            await self._safely(after.guild)

    async def _safely(self, guild: discord.Guild) -> None:
        try:
            await self.check_guild(guild)
        except Exception:
            log.exception("checking the paused feeds of guild %s after a permission change failed", guild.id)

    async def check_guild(self, guild: discord.Guild) -> int:
        """Resume every subscription of `guild` paused for a missing permission that can post again."""
        resumed = 0
        async with self._lock:  # a burst of updates resumes (and tells) once
            for entry in await self.directory.paused_by_bot(guild.id, MISSING_PERMISSIONS):
                sub, feed = entry.subscription, entry.feed
                channel = guild.get_channel(sub.channel_id)
                if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
                    continue
                if channel_problems(channel, sub):
                    continue  # still missing something: the pause stands
                waiting = await self.directory.resume_paused(guild.id, sub.feed_id)
                if waiting is None:
                    continue
                resumed += 1
                name = truncate(defang_mentions(feed.display_name if feed else "a feed"), 100)
                log.info("resumed feed %s in guild %s: the permissions are back", sub.feed_id, guild.id)
                await self.announcements.alerts.notify(
                    guild.id,
                    f"▶️ Announcements of **{name}** in {channel.mention} are resumed: I can post there "
                    f"again. {waiting} waiting announcement(s) go out now, each once.",
                )
        if resumed:
            self.resumed += resumed
            self.announcements.wake()
        return resumed
