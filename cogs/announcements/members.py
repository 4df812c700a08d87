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
from bot.render.text import defang_mentions, truncate

if TYPE_CHECKING:
    from bot.client import CommunityBot

log = logging.getLogger(__name__)


async def set_ping(bot: CommunityBot, member: discord.Member, feed_id: int, want: bool | None) -> str:
    """Give or take (or flip) the ping role of one feed; returns the sentence to show the member."""
    guild = member.guild
    sub = await bot.store.announcements.get_subscription(guild.id, feed_id)
    if sub is None or sub.ping_role_id is None:  # never name a feed this server does not follow
        return "This feed has no notification role here any more."
    feed = await bot.store.feeds.get_feed(feed_id)
    name = truncate(defang_mentions(feed.display_name if feed else "this feed"), 100)
    role = guild.get_role(sub.ping_role_id)
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
        bot: CommunityBot = interaction.client  # type: ignore[assignment]
        text = await set_ping(bot, member, self.feed_id, None)
        await reply(interaction, text)


class Subscriptions(commands.Cog, name="AnnouncementPings"):
    """`/subscribe` and `/unsubscribe`."""

    def __init__(self, bot: CommunityBot) -> None:
        self.bot = bot

    async def _feeds_with_roles(self, guild_id: int) -> list[tuple[int, str]]:
        found = []
        for sub in await self.bot.store.announcements.list_subscriptions(guild_id):
            if sub.ping_role_id is None:
                continue
            feed = await self.bot.store.feeds.get_feed(sub.feed_id)
            found.append((sub.feed_id, feed.display_name if feed else str(sub.feed_id)))
        return found

    async def _apply(self, interaction: discord.Interaction, feed: str | None, want: bool) -> None:
        member = interaction.user
        if interaction.guild is None or not isinstance(member, discord.Member):
            raise UserFacingError("This command only works inside a server.")
        choices = await self._feeds_with_roles(interaction.guild.id)
        if not choices:
            raise UserFacingError("This server has no announcement ping roles set up.")
        if feed:
            picked = [c for c in choices if str(c[0]) == feed or c[1].lower() == feed.lower()]
            if not picked:
                raise UserFacingError(f"No feed with a ping role matches {truncate(feed, 100)!r} here.")
        else:
            picked = choices
        lines = [await set_ping(self.bot, member, feed_id, want) for feed_id, _ in picked]
        await interaction.response.send_message(
            "\n".join(lines), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @app_commands.command(
        name="subscribe", description="Get pinged when a new episode or issue is announced."
    )
    @app_commands.describe(feed="Which feed (default: all with a ping role)")
    @app_commands.guild_only()
    async def subscribe(self, interaction: discord.Interaction, feed: str | None = None) -> None:
        await self._apply(interaction, feed, True)

    @app_commands.command(name="unsubscribe", description="Stop being pinged for new announcements.")
    @app_commands.describe(feed="Which feed (default: all)")
    @app_commands.guild_only()
    async def unsubscribe(self, interaction: discord.Interaction, feed: str | None = None) -> None:
        await self._apply(interaction, feed, False)

    @subscribe.autocomplete("feed")
    @unsubscribe.autocomplete("feed")
    async def _feed(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        return [
            app_commands.Choice(name=truncate(name, 100), value=str(feed_id))
            for feed_id, name in await self._feeds_with_roles(interaction.guild_id)
            if current.lower() in name.lower()
        ][:25]
