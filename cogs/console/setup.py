"""`/admin setup`: the channels and roles in one go, then a check of my permissions in each channel.

The choices are stored by the console's `SetupService` (bot/console/setup.py), exactly as `/admin feed
channel`, `/admin feed role` and `/admin modlog` would; the reply is edited as each step completes.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.announce.models import ChannelKind
from bot.console.permissions import check_guild
from bot.console.setup import FeedChoice, SetupChange, SetupService
from bot.errors import NO_MENTIONS
from bot.interactions import guild_of
from bot.render.text import truncate

log = logging.getLogger(__name__)

AnnounceChannel = discord.TextChannel | discord.ForumChannel


def _choice(channel: AnnounceChannel | None, role: discord.Role | None) -> FeedChoice:
    kind = ChannelKind.FORUM if isinstance(channel, discord.ForumChannel) else ChannelKind.TEXT
    return FeedChoice(channel.id if channel else None, kind, role.id if role else None)


def _change_line(
    change: SetupChange,
    mentions: dict[str, tuple[AnnounceChannel | None, discord.Role | None]],
    mod_log: discord.TextChannel | None,
) -> str:
    if change.what == "mod_log":
        return f"✅ Health alerts and the audit log go to {mod_log.mention if mod_log else 'the mod-log'}."
    name = change.feed or ""
    channel, role = mentions[name]
    if change.what == "channel":
        return f"✅ {name.title()} announcements go to {channel.mention if channel else 'its channel'}."
    if change.what == "role":
        return (
            f"✅ {name.title()} announcements ping {role.mention if role else 'its role'} (members opt in)."
        )
    return f"⚠️ {name.title()} has no channel yet, so its role was not set: add `{name}_channel`."


async def _progress(interaction: discord.Interaction, lines: list[str]) -> None:
    await interaction.edit_original_response(
        content=truncate("\n".join(lines), 2000), allowed_mentions=NO_MENTIONS
    )


class SetupAdmin(app_commands.Group):
    """`/admin setup`, mounted flat under `/admin` (`bot.admin_group.mount_commands`)."""

    def __init__(self, service: SetupService) -> None:
        super().__init__(name="setup-admin", description="/admin setup")
        self.service = service

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
        self,
        interaction: discord.Interaction,
        podcast_channel: AnnounceChannel | None = None,
        newsletter_channel: AnnounceChannel | None = None,
        mod_log: discord.TextChannel | None = None,
        podcast_role: discord.Role | None = None,
        newsletter_role: discord.Role | None = None,
    ) -> None:
        guild = guild_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        choices = {
            "podcast": _choice(podcast_channel, podcast_role),
            "newsletter": _choice(newsletter_channel, newsletter_role),
        }
        changes = await self.service.apply(guild.id, choices, mod_log.id if mod_log else None)
        mentions = {
            "podcast": (podcast_channel, podcast_role),
            "newsletter": (newsletter_channel, newsletter_role),
        }
        lines = [_change_line(change, mentions, mod_log) for change in changes]
        if not lines:
            lines.append("Nothing changed; checking what is configured already.")
        lines.append("⏳ Checking my permissions…")
        await _progress(interaction, lines)

        current = await self.service.current(guild.id)
        uses = current.uses
        report = check_guild(guild, uses, current.ping_roles)
        lines.pop()
        lines.append("")
        if not uses:
            lines.append("No channel is configured yet: give `podcast_channel` or `newsletter_channel`.")
        else:
            lines.append("**My permissions**" + (": all set." if report.ok else ": something is missing."))
            lines += report.lines()
        if current.mod_log_channel_id is None:
            lines.append("ℹ️ No mod-log channel: alerts go to the server owner by DM (set `mod_log`).")
        if not report.ok:
            lines.append(
                "Fix these in the channel's settings → Permissions (for my role), "
                "then run `/admin setup` again."
            )
        await _progress(interaction, lines)
