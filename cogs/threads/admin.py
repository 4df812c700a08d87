"""`/admin threads …` for moderators (mounted under the shared `/admin` group): tracked channels and the
weekly post (schedule, preview, post now, status)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

import discord
from discord import app_commands

from bot.errors import NO_MENTIONS, UserFacingError
from bot.interactions import guild_of
from bot.threads.render import next_post_text, weekly_embed
from bot.threads.weekly import WEEKDAY_NAMES, next_slot, week_key
from bot.timeutil import utcnow
from cogs.threads.weekly_post import NOT_SET_UP, already_posted, slot_after_this_week

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from bot.client import CommunityBot
    from bot.threads.service import ThreadsService
    from bot.threads.tracker import ThreadTracker
    from cogs.threads.weekly_post import WeeklyPoster

log = logging.getLogger(__name__)


def _weekly_text(weekday: int, hour: int, channel_id: int) -> str:
    slot = next_slot(utcnow(), weekday, hour)
    return (
        f"every {WEEKDAY_NAMES[weekday]} at {hour:02d}:00 UTC in <#{channel_id}>; "
        f"next post {next_post_text(slot)}"
    )


class ThreadsRuntime(Protocol):
    """What the moderators' commands use of the threads cog (its tracker, weekly poster and clock)."""

    bot: CommunityBot
    tracker: ThreadTracker
    threads_service: ThreadsService
    poster: WeeklyPoster
    clock: Callable[[], datetime]

    def should_auto_track(self, thread: discord.Thread) -> bool: ...

    async def track(
        self, thread: discord.Thread, *, item_id: int | None = None, source: str | None = None
    ) -> bool: ...


class ThreadsAdmin(app_commands.Group):
    """`/admin threads …`: tracked channels and the weekly post (Manage Server, enforced by the tree)."""

    def __init__(self, cog: ThreadsRuntime) -> None:
        super().__init__(name="threads", description="Track discussion threads and schedule the weekly post.")
        self.cog = cog

    @app_commands.command(
        name="track", description="Track every new thread of a channel or forum, or one thread."
    )
    @app_commands.describe(channel="A text channel or forum (all its threads), or a single thread")
    async def track(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | discord.ForumChannel | discord.Thread,
    ) -> None:
        guild = guild_of(interaction)
        tracker = self.cog.tracker
        if isinstance(channel, discord.Thread):
            if channel.type is discord.ChannelType.private_thread:
                raise UserFacingError(
                    "Private threads are not tracked: /threads would reveal them to others."
                )
            new = await self.cog.track(channel, source="manual")
            text = f"Tracking {channel.mention}." if new else f"{channel.mention} was already tracked."
        else:
            new = await tracker.track_parent(guild.id, channel.id, interaction.user.id)
            existing = [
                t for t in guild.threads if t.parent_id == channel.id and not tracker.is_tracked(t.id)
            ]
            added = 0
            for thread in existing:
                if self.cog.should_auto_track(thread):
                    added += await self.cog.track(thread)
            text = (
                f"Tracking {channel.mention}: every thread created there from now on is tracked."
                if new
                else f"{channel.mention} was already tracked."
            )
            if added:
                text += f" Active threads already there, now tracked too: {added}."
        if not channel.permissions_for(guild.me).view_channel:
            text += " ⚠️ I can't see that channel: give me View Channel there, or nothing will be counted."
        log.info("guild %s: %s tracked %s", guild.id, interaction.user.id, channel.id)
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(
        name="untrack", description="Stop tracking a channel or forum (its threads too), or a thread."
    )
    @app_commands.describe(channel="The channel, forum or thread to stop tracking")
    async def untrack(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | discord.ForumChannel | discord.Thread,
    ) -> None:
        guild = guild_of(interaction)
        if isinstance(channel, discord.Thread):
            if self.cog.should_auto_track(channel):
                raise UserFacingError(
                    f"{channel.mention} is in <#{channel.parent_id}>, which is tracked as a whole, so its "
                    "next message would track it again. Untrack the channel instead."
                )
            removed = await self.cog.tracker.untrack_thread(guild.id, channel.id)
            text = (
                f"Stopped tracking {channel.mention}; its counts are forgotten."
                if removed
                else f"{channel.mention} was not tracked."
            )
        else:
            was, dropped = await self.cog.tracker.untrack_parent(guild.id, channel.id)
            text = (
                f"Stopped tracking {channel.mention} and {dropped} of its threads "
                "(episode threads stay tracked)."
                if was
                else f"{channel.mention} was not tracked."
            )
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(
        name="weekly", description="Set the day, hour (UTC) and channel of the weekly hot-discussions post."
    )
    @app_commands.describe(day="Day of the week", hour="Hour of the day, UTC (0-23)", channel="Where to post")
    @app_commands.choices(
        day=[app_commands.Choice(name=name, value=n) for n, name in enumerate(WEEKDAY_NAMES)]
    )
    async def weekly(
        self,
        interaction: discord.Interaction,
        day: app_commands.Choice[int],
        hour: app_commands.Range[int, 0, 23],
        channel: discord.TextChannel,
    ) -> None:
        guild = guild_of(interaction)
        perms = channel.permissions_for(guild.me)
        missing = [
            name
            for name, ok in (
                ("View Channel", perms.view_channel),
                ("Send Messages", perms.send_messages),
                ("Embed Links", perms.embed_links),
            )
            if not ok
        ]
        if missing:
            raise UserFacingError(f"I can't post in {channel.mention}: I need {', '.join(missing)} there.")
        await self.cog.threads_service.set_weekly(
            guild.id, channel_id=channel.id, weekday=day.value, hour=hour, configured_by=interaction.user.id
        )
        text = "The weekly hot-discussions post goes out " + _weekly_text(day.value, hour, channel.id) + "."
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="weekly-off", description="Stop the weekly hot-discussions post.")
    async def weekly_off(self, interaction: discord.Interaction) -> None:
        guild = guild_of(interaction)
        was_on = await self.cog.threads_service.clear_weekly(guild.id)
        text = "The weekly post is off." if was_on else "The weekly post was not set up."
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(
        name="weekly-preview",
        description="Show (to you) the weekly post as it would go out now.",
    )
    async def weekly_preview(self, interaction: discord.Interaction) -> None:
        guild = guild_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.cog.clock()
        poster = self.cog.poster
        config = await poster.config_of(guild)
        digest = await poster.compose(guild, now)
        if config is None:
            head = "Preview only (nothing is posted). " + NOT_SET_UP
        elif config.last_week == week_key(now):
            head = "Preview only (nothing is posted). " + already_posted(guild.id, config, now)
        else:
            schedule = _weekly_text(config.weekday, config.hour, config.channel_id)
            head = (
                "Preview only (nothing is posted): `/admin threads weekly-post-now` would post this in "
                f"<#{config.channel_id}> now; otherwise it goes out {schedule}."
            )
        await interaction.followup.send(
            head, embed=weekly_embed(digest), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @app_commands.command(
        name="weekly-post-now", description="Post this week's weekly post now (once a week)."
    )
    async def weekly_post_now(self, interaction: discord.Interaction) -> None:
        guild = guild_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.cog.clock()
        message = await self.cog.poster.post_now(guild, now)
        config = await self.cog.poster.config_of(guild)
        text = f"✅ Posted this week's hot discussions: {message.jump_url}."
        if config is not None:
            upcoming = slot_after_this_week(config, now)
            text += (
                f" The scheduled post will not repeat it; the next one goes out {next_post_text(upcoming)}."
            )
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(
        name="status", description="What is tracked here, and when the weekly post goes out."
    )
    async def status(self, interaction: discord.Interaction) -> None:
        guild = guild_of(interaction)
        parents = await self.cog.threads_service.parents(guild.id)
        weekly = await self.cog.threads_service.weekly(guild.id)
        stats = self.cog.tracker.stats
        lines = [
            f"**Tracked channels:** {', '.join(f'<#{p.channel_id}>' for p in parents) or 'none'}",
            f"**Tracked threads:** {self.cog.tracker.tracked_in(guild.id)}",
        ]
        if weekly:
            config = weekly[0]
            lines.append("**Weekly post:** " + _weekly_text(config.weekday, config.hour, config.channel_id))
            if config.last_week:
                lines.append(f"Last posted: week {config.last_week}")
            problem = self.cog.poster.problems.get(guild.id)
            if problem is not None:
                lines.append(f"⚠️ Last attempt failed: {problem.text}")
        else:
            lines.append("**Weekly post:** off (`/admin threads weekly` sets it up)")
        lines.append(
            f"**Counting:** {stats.events:,} messages since start-up, "
            f"{self.cog.tracker.pending_events} waiting to be written, "
            f"{stats.flushes} writes, {stats.failed_flushes} failed"
        )
        await interaction.response.send_message(
            "\n".join(lines), ephemeral=True, allowed_mentions=NO_MENTIONS
        )
