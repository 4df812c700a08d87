"""Telling a guild's moderators that announcements need them: the mod-log channel, else the owner's DMs."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.errors import NO_MENTIONS
from bot.render.text import truncate

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 2000


class Alerts:
    """Sends health alerts. Never raises: a failure to alert is logged, and the caller's state is kept."""

    def __init__(self, client: discord.Client, store: Store) -> None:
        self.client = client
        self.store = store

    async def notify(self, guild_id: int, text: str) -> str:
        """Alert the moderators of `guild_id`. Returns where it went: "mod-log", "owner" or "nobody"."""
        text = truncate(text, MESSAGE_LIMIT)
        settings = await self.store.guilds.get(guild_id)
        if settings.mod_log_channel_id is not None:
            try:
                channel = self.client.get_channel(
                    settings.mod_log_channel_id
                ) or await self.client.fetch_channel(settings.mod_log_channel_id)
                if isinstance(channel, discord.abc.Messageable):
                    await channel.send(text, allowed_mentions=NO_MENTIONS)
                    return "mod-log"
            except discord.HTTPException as exc:
                log.warning("mod-log channel of guild %s refused an alert: %s", guild_id, exc)
        guild = self.client.get_guild(guild_id)
        if guild is not None and guild.owner_id is not None:
            try:
                owner = guild.owner or await guild.fetch_member(guild.owner_id)
                await owner.send(
                    f"**{truncate(guild.name, 100)}** (no mod-log channel is set, so I am telling you as the "
                    f"server owner; a moderator can set one with `/admin modlog`):\n{text}"[:MESSAGE_LIMIT],
                    allowed_mentions=NO_MENTIONS,
                )
                return "owner"
            except discord.HTTPException as exc:
                log.warning("could not DM the owner of guild %s: %s", guild_id, exc)
        log.error("no way to alert the moderators of guild %s: %s", guild_id, text)
        return "nobody"
