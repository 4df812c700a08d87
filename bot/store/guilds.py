"""Per-guild settings shared by every capability (the mod-log channel, where alerts go)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.base import Repo
from bot.timeutil import to_db, utcnow


@dataclass(frozen=True, slots=True)
class GuildSettings:
    guild_id: int
    mod_log_channel_id: int | None


class GuildRepo(Repo):
    async def ensure(self, guild_id: int) -> None:
        """Create the guild's settings row if it does not exist yet."""
        await self.db.execute(
            "INSERT INTO guilds (guild_id, created_at) VALUES (?, ?) ON CONFLICT (guild_id) DO NOTHING",
            (guild_id, to_db(utcnow())),
        )

    async def get(self, guild_id: int) -> GuildSettings:
        """The guild's settings (defaults when the guild has none stored)."""
        row = await self.db.fetchone(
            "SELECT guild_id, mod_log_channel_id FROM guilds WHERE guild_id = ?", (guild_id,)
        )
        if row is None:
            return GuildSettings(guild_id=guild_id, mod_log_channel_id=None)
        return GuildSettings(guild_id=row["guild_id"], mod_log_channel_id=row["mod_log_channel_id"])

    async def set_mod_log(self, guild_id: int, channel_id: int | None) -> None:
        """Set (or clear, with None) the channel where health alerts and the audit echo go."""
        await self.ensure(guild_id)
        await self.db.execute(
            "UPDATE guilds SET mod_log_channel_id = ? WHERE guild_id = ?", (channel_id, guild_id)
        )
