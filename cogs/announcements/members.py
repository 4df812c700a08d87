"""Members opting in and out of announcement pings: the 🔔 button, `/subscribe` and `/unsubscribe`."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.announce.render import NOTIFY_LABEL, NOTIFY_PREFIX
from bot.announce.roles import role_problem, toggle
from bot.errors import NO_MENTIONS, UserFacingError, reply
from bot.interactions import services_of
from bot.render.text import defang_mentions, truncate
from cogs._options import NO_PING_ROLES, PingFeed

PingFeedOption = app_commands.Transform[int, PingFeed]

if TYPE_CHECKING:
    from bot.announce.directory import FeedDirectory
    from bot.client import CommunityBot

log = logging.getLogger(__name__)


async def set_ping(directory: FeedDirectory, member: discord.Member, feed_id: int, want: bool | None) -> str:
    """Give or take (or flip) the ping role of one feed; returns the sentence to show the member."""
    guild = member.guild
    found = await directory.ping_role(guild.id, feed_id)
    if found is None:  # never name a feed this server does not follow
        return "This feed has no notification role here any more."
    role_id, title = found
    name = truncate(defang_mentions(title), 100)
    role = guild.get_role(role_id)
    if role is None:
        return f"The notification role of **{name}** was deleted; a moderator can set a new one."
    problem = role_problem(guild, role)
    if problem:
        return problem
    try:
        has = await toggle(member, role, want=want)
    except discord.Forbidden:
        return (
            f"Discord refused to change **{role.name}**: I need Manage Roles and my role must be above it; "
            "please tell a moderator."
        )
    if has:
        return f"🔔 You'll be pinged for new **{name}** announcements (role {role.mention})."
    return f"🔕 You won't be pinged for **{name}** any more."


class NotifyToggle(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=NOTIFY_PREFIX + r"(?P<feed_id>\d+)"
):
    """The persistent "🔔 Notify me" button on every announcement with a ping role; flips the role."""

    def __init__(self, feed_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=NOTIFY_LABEL,
                emoji="🔔",
                style=discord.ButtonStyle.secondary,
                custom_id=f"{NOTIFY_PREFIX}{feed_id}",
            )
        )
        self.feed_id = feed_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> NotifyToggle:
        return cls(int(match["feed_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        member = interaction.user
        if not isinstance(member, discord.Member):
            await reply(interaction, "This button only works inside the server.")
            return
        text = await set_ping(services_of(interaction).feed_directory, member, self.feed_id, None)
        await reply(interaction, text)


class Subscriptions(commands.Cog, name="AnnouncementPings"):
    """`/subscribe` and `/unsubscribe`."""

    def __init__(self, bot: CommunityBot, directory: FeedDirectory) -> None:
        self.bot = bot
        self.directory = directory

    async def _apply(self, interaction: discord.Interaction, feed: int | None, want: bool) -> None:
        member = interaction.user
        if interaction.guild is None or not isinstance(member, discord.Member):
            raise UserFacingError("This command only works inside a server.")
        if feed is not None:
            picked = [feed]
        else:
            picked = [feed_id for feed_id, _ in await self.directory.feeds_with_roles(interaction.guild.id)]
            if not picked:
                raise UserFacingError(NO_PING_ROLES)
        lines = [await set_ping(self.directory, member, feed_id, want) for feed_id in picked]
        await interaction.response.send_message(
            "\n".join(lines), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @app_commands.command(
        name="subscribe", description="Get pinged when a new episode or issue is announced."
    )
    @app_commands.describe(feed="Which feed (default: all with a ping role)")
    @app_commands.guild_only()
    async def subscribe(self, interaction: discord.Interaction, feed: PingFeedOption | None = None) -> None:
        await self._apply(interaction, feed, True)

    @app_commands.command(name="unsubscribe", description="Stop being pinged for new announcements.")
    @app_commands.describe(feed="Which feed (default: all)")
    @app_commands.guild_only()
    async def unsubscribe(self, interaction: discord.Interaction, feed: PingFeedOption | None = None) -> None:
        await self._apply(interaction, feed, False)
