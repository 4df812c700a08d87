"""The permission check `/admin feed`'s commands share."""

from __future__ import annotations

import discord

from bot.announce.models import ChannelKind, Subscription


def channel_problems(channel: discord.abc.GuildChannel, sub: Subscription | None) -> str:
    """The permissions the bot lacks in `channel` to announce there, as a readable list ("" when none)."""
    me = channel.guild.me
    if me is None:
        return ""
    perms = channel.permissions_for(me)
    needed = ["view_channel", "send_messages", "embed_links"]
    if sub is not None and (sub.channel_kind is ChannelKind.FORUM or sub.threads_enabled):
        needed.append("send_messages_in_threads")
        if sub.channel_kind is ChannelKind.TEXT:
            needed.append("create_public_threads")
    missing = [name for name in needed if not getattr(perms, name)]
    return ", ".join(name.replace("_", " ").title() for name in missing)
