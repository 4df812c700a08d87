"""`/about`: what this bot is, which version runs, since when, and which feeds it follows."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import NO_MENTIONS
from bot.render.about import about_embed

if TYPE_CHECKING:
    from bot.client import CommunityBot


class About(commands.Cog):
    def __init__(self, bot: CommunityBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="about", description="What this bot does, its version, uptime and the feeds it follows."
    )
    async def about(self, interaction: discord.Interaction) -> None:
        feeds = await self.bot.services.feed_directory.followed_titles(interaction.guild_id)
        embed = about_embed(
            version=self.bot.version,
            started_at=self.bot.started_at,
            feeds=feeds,
            guild_count=len(self.bot.guilds),
        )
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def setup(bot: CommunityBot) -> None:
    await bot.add_cog(About(bot))
