"""`/admin ask`: turn `/ask` on or off in a server, limit it to channels, see its status."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.errors import NO_MENTIONS
from bot.interactions import guild_id_of

if TYPE_CHECKING:
    from bot.ask.service import AskService


class AskAdmin(app_commands.Group):
    """`/admin ask`: one command, because the `/admin` group is close to Discord's 4,000-character limit on
    one command's names and descriptions; mounted flat under `/admin` (`bot.admin_group.mount_commands`).
    Manage Server: hidden by the group, enforced by the tree and here."""

    def __init__(self, service: AskService, model: str) -> None:
        super().__init__(name="ask-admin", description="/admin ask")
        self.service = service
        self.model = model

    @app_commands.command(
        name="ask", description="Turn /ask on or off, or limit it to channels; no option: status"
    )
    @app_commands.describe(
        turn="on or off",
        allow="Allow /ask here (limits it to the allowed)",
        block="No /ask here",
        anywhere="Lift the limit",
    )
    @app_commands.choices(
        turn=[app_commands.Choice(name="on", value=1), app_commands.Choice(name="off", value=0)]
    )
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def ask_admin(
        self,
        interaction: discord.Interaction,
        turn: app_commands.Choice[int] | None = None,
        allow: discord.TextChannel | None = None,
        block: discord.TextChannel | None = None,
        anywhere: bool = False,
    ) -> None:
        await self.configure(interaction, turn, allow, block, anywhere)

    async def configure(
        self,
        interaction: discord.Interaction,
        turn: app_commands.Choice[int] | None,
        allow: discord.TextChannel | None,
        block: discord.TextChannel | None,
        anywhere: bool,
    ) -> None:
        guild_id = guild_id_of(interaction)
        await self.service.configure(
            guild_id,
            enabled=bool(turn.value) if turn is not None else None,
            allow=allow.id if allow is not None else None,
            block=block.id if block is not None else None,
            anywhere=anywhere,
        )
        await _reply(interaction, await self.status(guild_id))

    async def status(self, guild_id: int) -> str:
        service = self.service
        config, asked, pending = await service.activity(guild_id)
        backend = f"the LLM ({self.model})" if service.llm else "offline quotes"
        where = ", ".join(f"<#{channel}>" for channel in config.channels[:20]) or "every channel"
        lines = [
            f"`/ask` is **{'on' if config.enabled else 'off'}**, in {where}.",
            f"Questions today: {asked} of {service.limits.daily_cap} (UTC day); "
            f"cooldown {service.limits.cooldown_seconds:g} s per member.",
            f"Answers by {backend}; LLM tokens count in the daily budget shared with digests.",
        ]
        if pending:
            lines.append(f"Episodes and issues still being indexed for /ask: {pending}.")
        return "\n".join(lines)


async def _reply(interaction: discord.Interaction, text: str) -> None:
    await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
