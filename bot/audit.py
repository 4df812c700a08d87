"""Recording moderator actions: which commands count, how their arguments are written down, the mod-log line.

Recorded centrally (the console cog listens to discord.py's `app_command_completion` and to interactions
refused by the tree), so no capability has to remember to log its own admin commands.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

import discord
from discord import app_commands

from bot.audit_entries import AuditEntry, NewAuditEntry, Outcome
from bot.logs import redact
from bot.render.text import defang_mentions, truncate
from bot.timeutil import discord_timestamp

log = logging.getLogger(__name__)

#: Moderator actions outside `/admin`.
MODERATOR_COMMANDS = frozenset({"poll create", "poll close", "poll settings"})
ARGUMENT_LIMIT = 200
HIDDEN = "[hidden]"
_SECRET_NAME = re.compile(r"token|secret|password|passwd|api_?key|webhook", re.I)
_OUTCOME_ICON = {"ok": "🛠️", "refused": "⛔", "failed": "⚠️"}


def is_audited(qualified_name: str) -> bool:
    """Whether a command is a moderator action: anything under `/admin`, and poll create/close."""
    return (
        qualified_name == "admin"
        or qualified_name.startswith("admin ")
        or qualified_name in MODERATOR_COMMANDS
    )


def render_value(value: Any) -> str:
    """An option value as text for the log: channels, roles and users by name and id, never a mention."""
    if isinstance(value, discord.abc.GuildChannel | discord.Thread | app_commands.AppCommandChannel):
        text = f"#{value.name} ({value.id})"
    elif isinstance(value, discord.Role):
        text = f"@{value.name} ({value.id})"
    elif isinstance(value, discord.abc.User):
        text = f"{value.name} ({value.id})"
    elif isinstance(value, discord.Attachment):
        text = f"file {value.filename}"
    elif isinstance(value, app_commands.Choice):
        text = str(value.value)
    else:
        text = str(value)
    return truncate(redact(" ".join(text.split())), ARGUMENT_LIMIT)


def render_arguments(options: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """The options as `{name: text}`; values of secret-looking options are never stored."""
    rendered: dict[str, str] = {}
    for name, value in options:
        if value is None:
            continue
        rendered[name] = HIDDEN if _SECRET_NAME.search(name) else render_value(value)
    return rendered


def entry_for(
    interaction: discord.Interaction, command: str, outcome: Outcome, detail: str | None = None
) -> NewAuditEntry | None:
    """The log entry for an interaction in a guild (None outside guilds: nothing to moderate there)."""
    if interaction.guild_id is None:
        return None
    return NewAuditEntry(
        guild_id=interaction.guild_id,
        user_id=interaction.user.id,
        user_name=truncate(str(interaction.user), 100),
        command=command,
        arguments=render_arguments(iter(interaction.namespace)),
        outcome=outcome,
        detail=truncate(redact(detail), 300) if detail else None,
        channel_id=interaction.channel_id,
    )


def describe_arguments(arguments: dict[str, str], limit: int = 300) -> str:
    if not arguments:
        return ""
    text = " ".join(f"{name}:{value}" for name, value in sorted(arguments.items()))
    return truncate(defang_mentions(text), limit)


def audit_line(entry: NewAuditEntry | AuditEntry) -> str:
    """One compact line for the mod-log channel or `/admin audit` (mentions render, nobody is pinged)."""
    icon = _OUTCOME_ICON.get(entry.outcome, "•")
    verb = {"ok": "ran", "refused": "was refused", "failed": "ran (failed)"}.get(entry.outcome, "ran")
    line = f"{icon} <@{entry.user_id}> {verb} `/{entry.command}`"
    arguments = describe_arguments(entry.arguments)
    if arguments:
        line += f" · {discord.utils.escape_markdown(arguments)}"
    if entry.detail:
        line += f" · {truncate(defang_mentions(entry.detail), 200)}"
    return truncate(line + f" · {discord_timestamp(entry.created_at, 'R')}", 1000)
