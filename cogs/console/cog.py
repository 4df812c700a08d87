"""Thin adapters for the console: the audit recorder (listeners), `/admin status`, `/admin audit`."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.admin_group import mount_commands, unmount_commands
from bot.audit import audit_line, entry_for, is_audited
from bot.audit_entries import NewAuditEntry, Outcome
from bot.command_types import SlashCommand
from bot.console.status import gather, status_embed
from bot.errors import NO_MENTIONS, UserFacingError, root_name
from cogs.console.audit import AuditAdmin
from cogs.console.setup import SetupAdmin

if TYPE_CHECKING:
    from bot.client import CommunityBot
    from bot.console.audit_log import AuditService
    from bot.console.setup import SetupService

log = logging.getLogger(__name__)

#: Read-only commands: recorded, but not echoed to the mod-log (it would drown the real changes).
QUIET = frozenset({"admin status", "admin audit", "admin feed list", "admin feed why"})


class Console(commands.Cog):
    """Owns `/admin status|audit|setup` and records every moderator action."""

    def __init__(self, bot: CommunityBot, setup: SetupService, audit: AuditService) -> None:
        self.bot = bot
        self.setup = setup
        self.audit = audit
        self.admin = (StatusAdmin(bot), AuditAdmin(audit), SetupAdmin(setup))

    async def cog_load(self) -> None:
        for commands_of in self.admin:
            mount_commands(self.bot, commands_of)

    async def cog_unload(self) -> None:
        for commands_of in self.admin:
            unmount_commands(self.bot, commands_of)

    # -- the audit recorder ---------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_app_command_completion(
        self, interaction: discord.Interaction, command: SlashCommand | app_commands.ContextMenu
    ) -> None:
        if isinstance(command, app_commands.Command) and is_audited(command.qualified_name):
            await self.record(interaction, command.qualified_name, "ok")

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Attempts the tree refuses (no Manage Server, or outside a server) are recorded as refused."""
        if interaction.type is not discord.InteractionType.application_command:
            return
        command = interaction.command
        if command is None or root_name(command) != "admin" or interaction.guild_id is None:
            return
        if not interaction.permissions.manage_guild:
            await self.record(interaction, command.qualified_name, "refused", "no Manage Server permission")

    @commands.Cog.listener()
    async def on_app_command_failed(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Audited commands that failed or were refused by their own checks are recorded as failed."""
        command = interaction.command
        if root_name(command) == "admin" and not interaction.permissions.manage_guild:
            return  # the tree refused it; `on_interaction` already recorded that as refused
        if isinstance(command, app_commands.Command) and is_audited(command.qualified_name):
            detail = getattr(error, "message", None) or type(getattr(error, "original", error)).__name__
            await self.record(interaction, command.qualified_name, "failed", str(detail))

    async def record(
        self, interaction: discord.Interaction, command: str, outcome: Outcome, detail: str | None = None
    ) -> None:
        """Store the action and echo it to the guild's mod-log channel; never fails the command."""
        entry = entry_for(interaction, command, outcome, detail)
        if entry is None:
            return
        try:
            await self.audit.record(entry)
        except Exception:
            log.exception("could not record /%s by %s in guild %s", command, entry.user_id, entry.guild_id)
            return
        await self.echo(entry)

    async def echo(self, entry: NewAuditEntry) -> None:
        if entry.command in QUIET and entry.outcome == "ok":
            return
        channel_id = await self.audit.mod_log_channel(entry.guild_id)
        if channel_id is None:
            return
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable) or getattr(channel, "guild", None) is None:
            return
        if channel.guild.id != entry.guild_id:
            return  # never echo one guild's actions into another's channel
        try:
            await channel.send(audit_line(entry), allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.warning("could not echo an audit entry to the mod-log of guild %s: %s", entry.guild_id, exc)


class StatusAdmin(app_commands.Group):
    """`/admin status`, mounted flat under `/admin` (`bot.admin_group.mount_commands`)."""

    def __init__(self, bot: CommunityBot) -> None:
        super().__init__(name="status-admin", description="/admin status")
        self.bot = bot

    @app_commands.command(
        name="status",
        description="Feeds, outbox, LLM budget, threads, my permissions, uptime, the bot's processes.",
    )
    async def status(self, interaction: discord.Interaction) -> None:
        guild = interaction.guild
        if guild is None:
            raise UserFacingError("This command only works inside a server.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await gather(self.bot, guild)
        await interaction.edit_original_response(embed=status_embed(report), allowed_mentions=NO_MENTIONS)
