"""`/admin setup`: the channels and roles in one go, then a check of my permissions in each channel.

Configuration is stored through the owners' repositories (subscriptions: announcements; mod-log: guilds),
exactly as `/admin feed channel`, `/admin feed role` and `/admin modlog` would; the reply is edited as
each step completes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.announce.models import ChannelKind
from bot.command_types import SlashCommand
from bot.console.permissions import channel_uses, check_guild
from bot.errors import NO_MENTIONS, UserFacingError
from bot.feeds.models import FeedKind
from bot.render.text import truncate

if TYPE_CHECKING:
    from bot.client import CommunityBot

log = logging.getLogger(__name__)

AnnounceChannel = discord.TextChannel | discord.ForumChannel
BUILTINS: dict[str, FeedKind] = {"podcast": "podcast", "newsletter": "newsletter"}


async def _progress(interaction: discord.Interaction, lines: list[str]) -> None:
    await interaction.edit_original_response(
        content=truncate("\n".join(lines), 2000), allowed_mentions=NO_MENTIONS
    )


def setup_command(bot: CommunityBot) -> SlashCommand:
    @app_commands.command(
        name="setup", description="Set channels and ping roles in one go, then check my permissions."
    )
    @app_commands.describe(
        podcast_channel="Where new episodes are announced (text or forum channel)",
        newsletter_channel="Where new newsletter issues are announced (text or forum channel)",
        mod_log="Where health alerts and the audit log go",
        podcast_role="Role pinged for new episodes (members opt in with /subscribe)",
        newsletter_role="Role pinged for new issues (members opt in with /subscribe)",
    )
    async def setup(
        interaction: discord.Interaction,
        podcast_channel: AnnounceChannel | None = None,
        newsletter_channel: AnnounceChannel | None = None,
        mod_log: discord.TextChannel | None = None,
        podcast_role: discord.Role | None = None,
        newsletter_role: discord.Role | None = None,
    ) -> None:
        guild = interaction.guild
        if guild is None:
            raise UserFacingError("This command only works inside a server.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        store = bot.store
        lines: list[str] = []
        wanted = {
            "podcast": (podcast_channel, podcast_role),
            "newsletter": (newsletter_channel, newsletter_role),
        }
        for name, (channel, role) in wanted.items():
            if channel is None and role is None:
                continue
            feed = await store.feeds.ensure_builtin(name, bot.settings.feed_urls[name], BUILTINS[name])
            if channel is not None:
                kind = ChannelKind.FORUM if isinstance(channel, discord.ForumChannel) else ChannelKind.TEXT
                await store.announcements.subscribe(guild.id, feed.id, channel.id, kind)
                lines.append(f"✅ {name.title()} announcements go to {channel.mention}.")
            if role is not None:
                if await store.announcements.get_subscription(guild.id, feed.id) is None:
                    lines.append(
                        f"⚠️ {name.title()} has no channel yet, so its role was not set: add `{name}_channel`."
                    )
                else:
                    await store.announcements.update_subscription(guild.id, feed.id, ping_role_id=role.id)
                    lines.append(f"✅ {name.title()} announcements ping {role.mention} (members opt in).")
        if mod_log is not None:
            await store.guilds.set_mod_log(guild.id, mod_log.id)
            lines.append(f"✅ Health alerts and the audit log go to {mod_log.mention}.")
        if not lines:
            lines.append("Nothing changed; checking what is configured already.")
        lines.append("⏳ Checking my permissions…")
        await _progress(interaction, lines)

        subscriptions = await store.announcements.list_subscriptions(guild.id)
        settings = await store.guilds.get(guild.id)
        parents = await store.threads.parents(guild.id)
        uses = channel_uses(
            announce={s.channel_id: s.channel_kind is ChannelKind.FORUM for s in subscriptions},
            modlog=settings.mod_log_channel_id,
            threads={p.channel_id for p in parents},
        )
        report = check_guild(guild, uses, [s.ping_role_id for s in subscriptions if s.ping_role_id])
        lines.pop()
        lines.append("")
        if not uses:
            lines.append("No channel is configured yet: give `podcast_channel` or `newsletter_channel`.")
        else:
            lines.append("**My permissions**" + (": all set." if report.ok else ": something is missing."))
            lines += report.lines()
        if settings.mod_log_channel_id is None:
            lines.append("ℹ️ No mod-log channel: alerts go to the server owner by DM (set `mod_log`).")
        if not report.ok:
            lines.append(
                "Fix these in the channel's settings → Permissions (for my role), "
                "then run `/admin setup` again."
            )
        await _progress(interaction, lines)

    return setup
