"""The one `/admin` command group every capability mounts its moderator subcommands under.

Guarded twice: `default_permissions(manage_guild=True)` hides it from members in Discord's client, and
`BotTree.interaction_check` refuses any `/admin …` invocation at run time from anyone without Manage Server
(default permissions are only a hint a server owner can override). Guild-only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

if TYPE_CHECKING:
    from discord.ext.commands.bot import BotBase

ADMIN_GROUP_NAME = "admin"


def get_admin_group(bot: BotBase) -> app_commands.Group:
    """The shared `/admin` group, created and added to the tree on first use."""
    existing = bot.tree.get_command(ADMIN_GROUP_NAME)
    if isinstance(existing, app_commands.Group):
        return existing
    group = app_commands.Group(
        name=ADMIN_GROUP_NAME,
        description="Moderator commands: feeds, announcements, polls, threads, status and audit.",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )
    bot.tree.add_command(group)
    return group


def mount(bot: BotBase, subgroup: app_commands.Group) -> None:
    """Add a capability's subgroup (e.g. `/admin threads …`) under `/admin`, replacing an older copy."""
    admin = get_admin_group(bot)
    admin.remove_command(subgroup.name)
    admin.add_command(subgroup)


def unmount(bot: BotBase, name: str) -> None:
    """Remove a subgroup on cog unload (so a reload does not leave a stale copy behind)."""
    existing = bot.tree.get_command(ADMIN_GROUP_NAME)
    if isinstance(existing, app_commands.Group):
        existing.remove_command(name)


def mount_commands(bot: BotBase, commands_of: app_commands.Group) -> None:
    """Add the commands of a capability's `Group` subclass directly under `/admin` (`/admin status`): how
    a capability declares single moderator commands that need no subgroup of their own."""
    admin = get_admin_group(bot)
    for command in commands_of.commands:
        admin.remove_command(command.name)
        admin.add_command(command)


def unmount_commands(bot: BotBase, commands_of: app_commands.Group) -> None:
    """Remove what `mount_commands` added (on cog unload)."""
    for command in commands_of.commands:
        unmount(bot, command.name)
