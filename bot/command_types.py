"""Type names for application commands, with discord.py's generic parameters filled in once."""

from __future__ import annotations

from typing import Any, TypeAlias

from discord import app_commands

#: A slash command of any cog (or none), with any parameters and any return value.
SlashCommand: TypeAlias = app_commands.Command[Any, ..., Any]
