"""Thin adapters: the member slash commands call the search service and card repository, then render."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.console.help import HelpEntry, command_embed, entries, help_embeds, runnable_names
from bot.errors import NO_MENTIONS, UserFacingError
from bot.interactions import guild_id_of
from bot.search import QueryError, SearchService
from bot.search.cards import card_embed
from bot.search.models import EpisodeCard
from bot.search.render import search_embed
from cogs._options import NOT_FOLLOWING, EpisodeCardOption, MemberFeed
from cogs.members.views import QUERY_MAX_CHARS, results_view

CardOption = app_commands.Transform[EpisodeCard, EpisodeCardOption]
MemberFeedOption = app_commands.Transform[int, MemberFeed]

if TYPE_CHECKING:
    from bot.client import CommunityBot
    from bot.search.episodes import EpisodeCards

log = logging.getLogger(__name__)


class Members(commands.Cog):
    """`/latest`, `/episode`, `/search`, `/help`."""

    def __init__(self, bot: CommunityBot, search: SearchService, cards: EpisodeCards) -> None:
        self.bot = bot
        self.search_service = search
        self.cards = cards

    # -- /latest ------------------------------------------------------------------------------------

    @app_commands.command(
        name="latest", description="The newest episode or issue, with its digest and thread."
    )
    @app_commands.describe(
        feed="Which followed feed (default: all of them)",
        share="Post it in the channel for everyone instead of only to you",
    )
    @app_commands.guild_only()
    async def latest(
        self, interaction: discord.Interaction, feed: MemberFeedOption | None = None, share: bool = False
    ) -> None:
        guild_id = guild_id_of(interaction)
        card = await self.cards.latest(guild_id, feed)
        if card is None:
            if not await self.cards.followed_feeds(guild_id):
                raise UserFacingError(NOT_FOLLOWING)
            raise UserFacingError(
                "Nothing has been published in that feed since the bot started following it."
            )
        await self._send_card(interaction, card, share=share)

    # -- /episode -----------------------------------------------------------------------------------

    @app_commands.command(name="episode", description="Find one episode or issue by its title.")
    @app_commands.describe(
        query="Start typing a title; pick from the suggestions",
        share="Post it in the channel for everyone instead of only to you",
    )
    @app_commands.guild_only()
    async def episode(self, interaction: discord.Interaction, query: CardOption, share: bool = False) -> None:
        await self._send_card(interaction, query, share=share)

    async def _send_card(self, interaction: discord.Interaction, card: EpisodeCard, *, share: bool) -> None:
        guild_id = guild_id_of(interaction)
        thread = await self.cards.thread(guild_id, card.item_id)
        embed = card_embed(
            card,
            guild_id=guild_id,
            thread_id=thread.thread_id if thread else None,
            thread_messages=thread.message_count if thread else None,
        )
        await interaction.response.send_message(
            embed=embed, ephemeral=not share, allowed_mentions=NO_MENTIONS
        )

    # -- /search ------------------------------------------------------------------------------------

    @app_commands.command(name="search", description="Search titles, show notes, transcripts and digests.")
    @app_commands.describe(
        query=f'Words to find; "exact phrase", -exclude, prefix* (≤{QUERY_MAX_CHARS} characters)'
    )
    @app_commands.guild_only()
    async def search(
        self, interaction: discord.Interaction, query: app_commands.Range[str, 1, QUERY_MAX_CHARS]
    ) -> None:
        guild_id = guild_id_of(interaction)
        try:
            page = await self.search_service.search(guild_id, query)
        except QueryError as exc:
            raise UserFacingError(str(exc)) from exc
        if page.total == 0 and not await self.cards.followed_feeds(guild_id):
            raise UserFacingError(NOT_FOLLOWING)
        view = results_view(interaction.user.id, page) or discord.utils.MISSING
        await interaction.response.send_message(
            embed=search_embed(page), view=view, ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    # -- /help --------------------------------------------------------------------------------------

    @app_commands.command(name="help", description="Every command you can use here, grouped, with examples.")
    @app_commands.describe(command="Show one command in detail, e.g. search or admin status")
    async def help(self, interaction: discord.Interaction, command: str | None = None) -> None:
        found = await self._help_entries(interaction)
        if command:
            wanted = command.strip().lstrip("/").casefold()
            match = next((e for e in found if e.name == wanted), None)
            match = match or next((e for e in found if e.name.startswith(wanted)), None)
            if match is None:
                raise UserFacingError(f"There is no command `/{wanted[:40]}` you can use here; see `/help`.")
            embeds = [command_embed(match)]
        else:
            embeds = help_embeds(found)
        await interaction.response.send_message(embeds=embeds, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @help.autocomplete("command")
    async def _help_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        typed = current.strip().lstrip("/").casefold()
        found = [e for e in await self._help_entries(interaction) if typed in e.name]
        found.sort(key=lambda e: (not e.name.startswith(typed), e.name))
        return [app_commands.Choice(name=f"/{e.name}"[:100], value=e.name[:100]) for e in found[:25]]

    async def _help_entries(self, interaction: discord.Interaction) -> list[HelpEntry]:
        in_guild = interaction.guild_id is not None
        commands_ = self.bot.tree.get_commands()
        return entries(
            commands_,
            interaction.permissions if in_guild else None,
            in_guild=in_guild,
            runnable=await runnable_names(commands_, interaction),
        )
