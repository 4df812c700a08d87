"""Errors that a member or moderator should read, and the one place app-command errors are rendered."""

from __future__ import annotations

import logging
import secrets

import discord
from discord import app_commands

from bot.command_types import SlashCommand
from bot.logs import redact
from bot.metrics import METRICS

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()


class UserFacingError(app_commands.AppCommandError):
    """A failure whose message is meant for the person who ran the command (shown ephemerally)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(UserFacingError, app_commands.CheckFailure):
    """The member may not run this command here."""


def error_code() -> str:
    """A short code that appears both in the reply and in the log line with the traceback."""
    return "E-" + secrets.token_hex(3).upper()


def _permission_names(names: list[str]) -> str:
    return ", ".join(name.replace("_", " ").replace("guild", "server").title() for name in names)


def describe(error: app_commands.AppCommandError) -> str | None:
    """The message for an expected failure, or None for an unexpected one (which gets an error code)."""
    if isinstance(error, UserFacingError):
        return error.message
    if isinstance(error, app_commands.MissingPermissions):
        return f"You need the {_permission_names(error.missing_permissions)} permission to use this command."
    if isinstance(error, app_commands.BotMissingPermissions):
        return (
            f"I need the {_permission_names(error.missing_permissions)} permission here to do that; "
            "ask a moderator to grant it."
        )
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works inside a server."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.TransformerError):
        return f"That value for this option isn't valid: {str(error.value)[:100]!r}."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here."
    if isinstance(error, app_commands.CommandNotFound):
        return "That command no longer exists; Discord will update your command list shortly."
    if isinstance(error, app_commands.CommandInvokeError) and isinstance(error.original, discord.Forbidden):
        return (
            "Discord refused: I lack a permission for that in this channel. "
            "A moderator can run `/admin setup` to see what is missing."
        )
    return None


async def reply(interaction: discord.Interaction, content: str, *, ephemeral: bool = True) -> None:
    """Answer an interaction whether or not it was already answered or deferred; never mentions anyone."""
    from bot.interactions import answer  # it builds on this module's NO_MENTIONS and UserFacingError

    try:
        await answer(interaction, content, ephemeral=ephemeral)
    except discord.HTTPException as exc:
        log.warning("could not deliver an error reply: %s", exc)


def root_name(command: SlashCommand | app_commands.Group | app_commands.ContextMenu | None) -> str:
    """The top-level name of a command (`admin` for `/admin feed add`)."""
    if command is None or isinstance(command, app_commands.ContextMenu):
        return ""
    return command.root_parent.name if command.root_parent else command.name


MODERATOR_ONLY = "Only moderators (the Manage Server permission) can use `/admin` commands."


class BotTree(app_commands.CommandTree["CommunityBot"]):  # type: ignore[name-defined]
    """Handles every app-command error once: ephemeral, no mentions, an error code for surprises.

    It also enforces at run time what `default_permissions` only hints: every `/admin …` command needs
    Manage Server, in a guild, even when a server owner has overridden the command's visibility.
    """

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if root_name(interaction.command) != "admin":
            return True
        allowed = interaction.guild_id is not None and interaction.permissions.manage_guild
        if allowed:
            return True
        if interaction.type is discord.InteractionType.autocomplete:
            # No suggestions for people who may not run the command, but an answer all the same: an
            # autocomplete left unanswered shows "Loading options failed" in the member's client.
            try:
                await interaction.response.autocomplete([])
            except discord.HTTPException as exc:
                log.debug("could not answer a refused autocomplete: %s", exc)
            return False
        raise NotAllowed(MODERATOR_ONLY)

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        message = describe(error)
        command = interaction.command.qualified_name if interaction.command else "?"
        outcome = "error" if message is None else "refused"
        METRICS.commands.labels(command=root_name(interaction.command) or "other", outcome=outcome).inc()
        if message is not None:
            self.client.dispatch("app_command_failed", interaction, error)
            log.info("/%s refused for user %s: %s", command, interaction.user.id, message)
            await reply(interaction, message)
            return
        self.client.dispatch("app_command_failed", interaction, error)
        code = error_code()
        original = getattr(error, "original", error)
        log.error(
            "error %s in /%s (guild %s): %s",
            code,
            command,
            interaction.guild_id,
            redact(repr(original)),
            exc_info=original,
        )
        await reply(
            interaction, f"Something went wrong on my side (error `{code}`). The moderators can look it up."
        )
