"""What the bot needs in each channel it uses, and what is missing, in words a moderator can act on.

Pure functions over `discord.Permissions`, so every rule is unit-tested without Discord.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import discord

Use = Literal["announce_text", "announce_forum", "modlog", "threads"]

#: What each use of a channel needs, in the order a moderator would fix them.
NEEDS: dict[Use, tuple[str, ...]] = {
    "announce_text": (
        "view_channel",
        "send_messages",
        "embed_links",
        "attach_files",
        "read_message_history",
        "create_public_threads",
        "send_messages_in_threads",
        "manage_threads",
    ),
    # In a forum, Send Messages is what Discord calls "Create Posts".
    "announce_forum": (
        "view_channel",
        "send_messages",
        "embed_links",
        "attach_files",
        "read_message_history",
        "send_messages_in_threads",
        "manage_threads",
    ),
    "modlog": ("view_channel", "send_messages", "embed_links"),
    "threads": ("view_channel", "read_message_history", "send_messages_in_threads", "manage_threads"),
}
PURPOSE: dict[Use, str] = {
    "announce_text": "announcements",
    "announce_forum": "announcements (forum)",
    "modlog": "mod-log",
    "threads": "thread tracking",
}
_NAMES = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
    "attach_files": "Attach Files",
    "read_message_history": "Read Message History",
    "create_public_threads": "Create Public Threads",
    "send_messages_in_threads": "Send Messages in Threads",
    "manage_threads": "Manage Threads",
    "manage_roles": "Manage Roles",
}


def permission_name(flag: str, use: Use | None = None) -> str:
    if flag == "send_messages" and use == "announce_forum":
        return "Create Posts"
    return _NAMES.get(flag, flag.replace("_", " ").title())


@dataclass(frozen=True, slots=True)
class ChannelCheck:
    """The result for one channel: what it is used for and which permissions are missing there."""

    channel_id: int
    uses: tuple[Use, ...]
    missing: tuple[str, ...]  # readable names

    @property
    def ok(self) -> bool:
        return not self.missing

    def describe(self) -> str:
        purposes = ", ".join(PURPOSE[use] for use in self.uses)
        if self.ok:
            return f"✅ <#{self.channel_id}> ({purposes}): everything needed"
        return f"❌ <#{self.channel_id}> ({purposes}): missing {', '.join(self.missing)}"


@dataclass(frozen=True, slots=True)
class RoleCheck:
    role_id: int
    problem: str | None

    def describe(self) -> str:
        return (
            f"✅ <@&{self.role_id}>: I can hand it out"
            if self.problem is None
            else f"❌ <@&{self.role_id}>: {self.problem}"
        )


@dataclass(slots=True)
class PermissionReport:
    channels: list[ChannelCheck] = field(default_factory=list)
    roles: list[RoleCheck] = field(default_factory=list)
    unknown_channels: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            all(c.ok for c in self.channels)
            and all(r.problem is None for r in self.roles)
            and not (self.unknown_channels)
        )

    def lines(self) -> list[str]:
        lines = [check.describe() for check in self.channels]
        lines += [
            f"❌ <#{cid}>: I can't see this channel any more (deleted, or hidden from me)"
            for cid in self.unknown_channels
        ]
        lines += [check.describe() for check in self.roles]
        return lines


def missing_for(permissions: discord.Permissions, uses: tuple[Use, ...]) -> tuple[str, ...]:
    """The readable names of the permissions `uses` need that `permissions` lacks (each name once)."""
    if permissions.administrator:
        return ()
    missing: list[str] = []
    for use in uses:
        for flag in NEEDS[use]:
            name = permission_name(flag, use)
            if not getattr(permissions, flag) and name not in missing:
                missing.append(name)
    return tuple(missing)


def check_channel(channel_id: int, permissions: discord.Permissions, uses: tuple[Use, ...]) -> ChannelCheck:
    return ChannelCheck(channel_id, uses, missing_for(permissions, uses))


def check_role(
    *,
    role_id: int,
    role_position: int,
    managed: bool,
    is_default: bool,
    bot_top_position: int,
    bot_permissions: discord.Permissions,
) -> RoleCheck:
    """Whether the bot can give a ping role to members, and if not, exactly why."""
    if is_default or managed:
        return RoleCheck(role_id, "managed by Discord or an integration; no bot can hand it out")
    if not (bot_permissions.manage_roles or bot_permissions.administrator):
        return RoleCheck(role_id, "I need the Manage Roles permission to give it to members")
    if role_position >= bot_top_position:
        return RoleCheck(
            role_id, "it is at or above my highest role; move my role above it in Server Settings → Roles"
        )
    return RoleCheck(role_id, None)


def channel_uses(
    *, announce: dict[int, bool], modlog: int | None, threads: set[int] | None = None
) -> dict[int, tuple[Use, ...]]:
    """Which uses each channel has: `announce` maps channel id → is a forum."""
    uses: dict[int, list[Use]] = {}
    for channel_id, is_forum in announce.items():
        uses.setdefault(channel_id, []).append("announce_forum" if is_forum else "announce_text")
    if modlog is not None:
        uses.setdefault(modlog, []).append("modlog")
    for channel_id in sorted(threads or ()):
        if channel_id not in uses:
            uses.setdefault(channel_id, []).append("threads")
    return {channel_id: tuple(found) for channel_id, found in uses.items()}


def check_guild(guild: discord.Guild, uses: dict[int, tuple[Use, ...]], roles: list[int]) -> PermissionReport:
    """Check the bot's permissions in every channel of `uses` and for every ping role in `roles`."""
    report = PermissionReport()
    me = guild.me
    for channel_id, channel_use in uses.items():
        channel = guild.get_channel(channel_id)
        if channel is None or me is None:
            report.unknown_channels.append(channel_id)
            continue
        report.channels.append(check_channel(channel_id, channel.permissions_for(me), channel_use))
    for role_id in dict.fromkeys(roles):
        role = guild.get_role(role_id)
        if role is None or me is None:
            report.roles.append(RoleCheck(role_id, "this role no longer exists"))
            continue
        report.roles.append(
            check_role(
                role_id=role.id,
                role_position=role.position,
                managed=role.managed,
                is_default=role.is_default(),
                bot_top_position=me.top_role.position,
                bot_permissions=me.guild_permissions,
            )
        )
    return report
