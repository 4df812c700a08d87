"""The opt-in ping role: whether the bot can hand it out, and toggling it for a member."""

from __future__ import annotations

import logging

import discord

log = logging.getLogger(__name__)


def role_problem(guild: discord.Guild, role: discord.Role) -> str | None:
    """Why the bot cannot give `role` to members, in words a moderator can act on; None when it can."""
    me = guild.me
    if role.is_default() or role.managed:
        return f"The role **{role.name}** is managed by Discord or an integration; no bot can hand it out."
    if me is None or not me.guild_permissions.manage_roles:
        return (
            "I need the **Manage Roles** permission to give members the notification role; "
            "ask a moderator to grant it."
        )
    if role >= me.top_role:
        return (
            f"The role **{role.name}** is above my own highest role, so I can't give it out; a moderator "
            "must move my role above it in Server Settings → Roles."
        )
    return None


async def toggle(member: discord.Member, role: discord.Role, *, want: bool | None = None) -> bool:
    """Give or take `role` (flip it when `want` is None). Returns whether the member has it now."""
    has = any(r.id == role.id for r in member.roles)
    target = (not has) if want is None else want
    if target and not has:
        await member.add_roles(role, reason="opted in to announcement pings")
    elif not target and has:
        await member.remove_roles(role, reason="opted out of announcement pings")
    return target
