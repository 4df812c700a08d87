"""Helpers every cog shares for reading an interaction."""

from __future__ import annotations

import discord

from bot.client import CommunityBot
from bot.container import Services


def services_of(interaction: discord.Interaction) -> Services:
    """The services of the bot an interaction reached (buttons and views have no cog to hold them)."""
    client = interaction.client
    if not isinstance(client, CommunityBot):
        raise TypeError(f"interaction reached {type(client).__name__}, not the community bot")
    return client.services
