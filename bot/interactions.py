"""The helpers every command, button and autocomplete shares for reading and answering an interaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.errors import NO_MENTIONS, UserFacingError
from bot.render.text import truncate

if TYPE_CHECKING:
    from bot.container import Services

OUTSIDE_A_SERVER = "This command only works inside a server."
#: SQLite's INTEGER is signed 64-bit: a larger number typed in an option is not a row id.
MAX_ROW_ID = 2**63 - 1


def guild_of(interaction: discord.Interaction) -> discord.Guild:
    """The server the interaction came from, or the one refusal for a command used in DMs."""
    if interaction.guild is None:
        raise UserFacingError(OUTSIDE_A_SERVER)
    return interaction.guild


def guild_id_of(interaction: discord.Interaction) -> int:
    """The id of the server the interaction came from (the guild may not be cached), or the refusal."""
    if interaction.guild_id is None:
        raise UserFacingError(OUTSIDE_A_SERVER)
    return interaction.guild_id


def autocomplete_id(text: str) -> int | None:
    """The row id an autocomplete choice carries, or None when `text` is not one (something typed).

    ASCII digits only ("²" passes `isdigit()` but not `int()`), within SQLite's INTEGER.
    """
    text = text.strip()
    if text.isascii() and text.isdigit() and int(text) <= MAX_ROW_ID:
        return int(text)
    return None


async def answer(
    interaction: discord.Interaction, text: str, *, embed: discord.Embed | None = None, ephemeral: bool = True
) -> None:
    """Answer whether or not the interaction was already answered or deferred; never mentions anyone."""
    embeds = [embed] if embed is not None else []
    content = truncate(text, 2000) or None
    if interaction.response.is_done():
        await interaction.followup.send(
            content or "", embeds=embeds, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
        )
    else:
        await interaction.response.send_message(
            content, embeds=embeds, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
        )


def services_of(interaction: discord.Interaction) -> Services:
    """The services of the bot an interaction reached (buttons and views have no cog to hold them)."""
    from bot.client import CommunityBot  # the client imports this module's neighbours; import it late

    client = interaction.client
    if not isinstance(client, CommunityBot):
        raise TypeError(f"interaction reached {type(client).__name__}, not the community bot")
    return client.services
