"""`/threads` for members (the moderators' `/admin threads …` is in `cogs/threads/admin.py`)."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import NO_MENTIONS, UserFacingError
from bot.interactions import guild_of
from bot.render.text import truncate
from bot.threads.models import TrackedThread
from bot.threads.render import MAX_LISTED, threads_embed
from bot.timeutil import utcnow
from cogs._options import ThreadEpisode

ThreadEpisodeOption = app_commands.Transform[int, ThreadEpisode]

if TYPE_CHECKING:
    from bot.threads.service import ThreadsService

log = logging.getLogger(__name__)

CANDIDATES = 50  # rows read before filtering out threads the member cannot see
VIEWS = [
    app_commands.Choice(name="Hot now", value="hot"),
    app_commands.Choice(name="Latest messages", value="recent"),
    app_commands.Choice(name="For an episode", value="episode"),
]


def can_see(guild: discord.Guild, member: discord.abc.User, thread: TrackedThread) -> bool:
    """Whether `member` may see the channel a thread lives in (a listing never reveals hidden channels),
    and the bot can still open it (a thread it lost access to cannot be checked, so it is not listed)."""
    parent = guild.get_channel(thread.parent_id) if thread.parent_id else None
    if parent is None or not isinstance(member, discord.Member) or guild.me is None:
        return False
    return parent.permissions_for(member).view_channel and parent.permissions_for(guild.me).view_channel


def shown_as(guild: discord.Guild, thread: TrackedThread) -> TrackedThread:
    """The thread as listed: tags belong to forum posts, so a thread of a text channel shows none."""
    parent = guild.get_channel(thread.parent_id) if thread.parent_id else None
    if thread.tags and not isinstance(parent, discord.ForumChannel):
        return replace(thread, tags=())
    return thread


class ThreadsListing(commands.Cog):
    """`/threads`: the member-facing listings of tracked discussion threads."""

    def __init__(self, threads_service: ThreadsService) -> None:
        self.threads_service = threads_service

    @app_commands.command(
        name="threads", description="The liveliest discussions: hot now, latest, or an episode's."
    )
    @app_commands.guild_only()
    @app_commands.describe(
        view="Hot now (default), the latest messages, or the threads of one episode",
        episode="The episode (start typing its title)",
        public="Show the list to the channel instead of only to you",
    )
    @app_commands.choices(view=VIEWS)
    async def threads(
        self,
        interaction: discord.Interaction,
        view: app_commands.Choice[str] | None = None,
        episode: ThreadEpisodeOption | None = None,
        public: bool = False,
    ) -> None:
        guild = guild_of(interaction)
        chosen = view.value if view else ("episode" if episode is not None else "hot")
        now = utcnow()
        footer = ""
        if chosen == "episode":
            if episode is None:
                raise UserFacingError(ThreadEpisode.CHOOSE)
            item_id = episode
            rows = await self.threads_service.listing(
                guild.id, "episode", now=now, limit=CANDIDATES, item_id=item_id
            )
            title = f"Discussion of {truncate(rows[0].name, 200)}" if rows else "Discussion of this episode"
            empty = "This episode has no tracked discussion thread here."
        elif chosen == "recent":
            rows = await self.threads_service.listing(guild.id, "recent", now=now, limit=CANDIDATES)
            title = "Latest discussions"
            empty = (
                "No tracked discussion yet. Moderators choose what is tracked with `/admin threads track`."
            )
        else:
            rows = await self.threads_service.listing(guild.id, "hot", now=now, limit=CANDIDATES)
            title = "Hot discussions now"
            empty = "Nothing is buzzing right now: no tracked thread had messages in the last two days."
            footer = "Ranked by recent messages (halving every 6 h) and the number of people taking part."
        shown = [shown_as(guild, row) for row in rows if can_see(guild, interaction.user, row)][:MAX_LISTED]
        embed = threads_embed(title, shown, empty=empty, footer=footer)
        await interaction.response.send_message(
            embed=embed, ephemeral=not public, allowed_mentions=NO_MENTIONS
        )
