"""The `/about` embed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import discord

from bot.render.text import truncate
from bot.timeutil import discord_timestamp

SOURCE_URL = "https://github.com/aidailybrief/community-bot"
EMBED_COLOUR = discord.Colour(0x5B5BD6)


def about_embed(
    *, version: str, started_at: datetime, feeds: Sequence[str], guild_count: int
) -> discord.Embed:
    embed = discord.Embed(
        title="The AI Daily Brief community bot",
        description=(
            "Announces every new episode and newsletter issue with a discussion thread, posts a digest of "
            "each episode, runs open-versus-closed AI polls, and tracks the discussions they start."
        ),
        url=SOURCE_URL,
        colour=EMBED_COLOUR,
    )
    embed.add_field(name="Version", value=version)
    embed.add_field(
        name="Up since", value=f"{discord_timestamp(started_at, 'f')} ({discord_timestamp(started_at, 'R')})"
    )
    embed.add_field(name="Servers", value=str(guild_count))
    followed = "\n".join(f"• {truncate(title, 90)}" for title in feeds[:10]) or "No feeds followed here yet."
    embed.add_field(name="Feeds followed here", value=truncate(followed, 1024), inline=False)
    embed.set_footer(text=f"Source: {SOURCE_URL}")
    return embed
