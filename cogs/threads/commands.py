"""`/threads` for members and `/admin threads …` for moderators (mounted under the shared `/admin` group)."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import NO_MENTIONS, UserFacingError
from bot.render.text import truncate
from bot.threads.hot import WINDOW, rank_hot
from bot.threads.models import TrackedThread
from bot.threads.render import MAX_LISTED, next_post_text, threads_embed, weekly_embed
from bot.threads.weekly import WEEKDAY_NAMES, next_slot, week_key
from bot.timeutil import utcnow
from cogs.threads.weekly_post import NOT_SET_UP, already_posted, slot_after_this_week

if TYPE_CHECKING:
    from bot.client import CommunityBot
    from bot.threads.tracker import ThreadTracker
    from cogs.threads.cog import ThreadsCog

log = logging.getLogger(__name__)

CANDIDATES = 50  # rows read before filtering out threads the member cannot see
VIEWS = [
    app_commands.Choice(name="Hot now", value="hot"),
    app_commands.Choice(name="Latest messages", value="recent"),
    app_commands.Choice(name="For an episode", value="episode"),
]


def guild_of(interaction: discord.Interaction) -> discord.Guild:
    if interaction.guild is None:
        raise UserFacingError("This command only works inside a server.")
    return interaction.guild


def can_see(guild: discord.Guild, member: discord.abc.User, thread: TrackedThread) -> bool:
    """Whether `member` may see the channel a thread lives in (a listing never reveals hidden channels),
    and the bot can still open it (a thread it lost access to cannot be checked, so it is not listed)."""
    parent = guild.get_channel(thread.parent_id) if thread.parent_id else None
    if parent is None or not isinstance(member, discord.Member) or guild.me is None:
        return False
    return parent.permissions_for(member).view_channel and parent.permissions_for(guild.me).view_channel


def shown_as(guild: discord.Guild, thread: TrackedThread) -> TrackedThread:
    """The thread as listed: tags belong to forum posts, so a thread of a text channel shows none."""
    parent = guild.get_channel(thread.parent_id) if thread.parent_id else None
    if thread.tags and not isinstance(parent, discord.ForumChannel):
        return replace(thread, tags=())
    return thread


class ThreadsCommands(commands.Cog):
    """The member-facing command; mixed into `ThreadsCog`."""

    bot: CommunityBot
    tracker: ThreadTracker

    @app_commands.command(
        name="threads", description="The liveliest discussions: hot now, latest, or an episode's."
    )
    @app_commands.guild_only()
    @app_commands.describe(
        view="Hot now (default), the latest messages, or the threads of one episode",
        episode="The episode (start typing its title)",
        public="Show the list to the channel instead of only to you",
    )
    @app_commands.choices(view=VIEWS)
    async def threads(
        self,
        interaction: discord.Interaction,
        view: app_commands.Choice[str] | None = None,
        episode: str | None = None,
        public: bool = False,
    ) -> None:
        guild = guild_of(interaction)
        chosen = view.value if view else ("episode" if episode else "hot")
        repo = self.bot.store.threads
        now = utcnow()
        footer = ""
        if chosen == "episode":
            item_id = await self._episode_id(guild.id, episode)
            rows = await repo.threads_for_item(guild.id, item_id)
            title = f"Discussion of {truncate(rows[0].name, 200)}" if rows else "Discussion of this episode"
            empty = "This episode has no tracked discussion thread here."
        elif chosen == "recent":
            rows = await repo.recent(guild.id, CANDIDATES)
            title = "Latest discussions"
            empty = (
                "No tracked discussion yet. Moderators choose what is tracked with `/admin threads track`."
            )
        else:
            hot = rank_hot(await repo.activity_since(guild.id, now - WINDOW), now, CANDIDATES)
            rows = [entry.thread for entry in hot]
            title = "Hot discussions now"
            empty = "Nothing is buzzing right now: no tracked thread had messages in the last two days."
            footer = "Ranked by recent messages (halving every 6 h) and the number of people taking part."
        shown = [shown_as(guild, row) for row in rows if can_see(guild, interaction.user, row)][:MAX_LISTED]
        embed = threads_embed(title, shown, empty=empty, footer=footer)
        await interaction.response.send_message(
            embed=embed, ephemeral=not public, allowed_mentions=NO_MENTIONS
        )

    @threads.autocomplete("episode")
    async def _episode_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        choices = await self.bot.store.threads.episode_choices(interaction.guild_id, current.strip()[:100])
        return [
            app_commands.Choice(name=truncate(name, 100), value=str(item_id)) for item_id, name in choices
        ]

    async def _episode_id(self, guild_id: int, episode: str | None) -> int:
        """The episode chosen from autocomplete (an id) or typed (matched against thread names)."""
        if not episode or not episode.strip():
            raise UserFacingError("Choose an episode: start typing its title in the `episode` option.")
        text = episode.strip()
        # An id from autocomplete: ASCII digits ("²" passes isdigit() but not int()) within SQLite's INTEGER.
        is_id = text.isascii() and text.isdigit() and int(text) < 2**63
        if is_id and await self.bot.store.threads.threads_for_item(guild_id, int(text)):
            return int(text)
        matches = await self.bot.store.threads.episode_choices(guild_id, text[:100], limit=1)
        if not matches:
            raise UserFacingError(f"No episode with a tracked thread matches {truncate(text, 80)!r}.")
        return matches[0][0]


def _weekly_text(weekday: int, hour: int, channel_id: int) -> str:
    slot = next_slot(utcnow(), weekday, hour)
    return (
        f"every {WEEKDAY_NAMES[weekday]} at {hour:02d}:00 UTC in <#{channel_id}>; "
        f"next post {next_post_text(slot)}"
    )


class ThreadsAdmin(app_commands.Group):
    """`/admin threads …`: tracked channels and the weekly post (Manage Server, enforced by the tree)."""

    def __init__(self, cog: ThreadsCog) -> None:
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
        await self.cog.bot.store.threads.set_weekly(
            guild.id, channel_id=channel.id, weekday=day.value, hour=hour, configured_by=interaction.user.id
        )
        text = "The weekly hot-discussions post goes out " + _weekly_text(day.value, hour, channel.id) + "."
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="weekly-off", description="Stop the weekly hot-discussions post.")
    async def weekly_off(self, interaction: discord.Interaction) -> None:
        guild = guild_of(interaction)
        was_on = await self.cog.bot.store.threads.clear_weekly(guild.id)
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
        repo = self.cog.bot.store.threads
        parents = await repo.parents(guild.id)
        weekly = await repo.weekly(guild.id)
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
