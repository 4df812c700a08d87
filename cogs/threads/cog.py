"""The thread-tracking cog: Discord events in, tracker calls out; the flush, reconcile and weekly loops.

In a fleet each process sees the events of its own shards' guilds and flushes them; reconciliation and the
weekly post go over `bot.guilds`, which holds only those guilds. The prune after a reconciliation covers
every guild and runs under the `threads-prune` lease; the weekly post under `weekly:<guild id>`.

The tracker is built once by `bot.container`; the announcement pipeline reaches it there, not here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands, tasks

from bot.threads.models import ThreadStatus
from bot.threads.weekly import EpisodeSource, PollResultsSource
from bot.timeutil import utcnow
from cogs.threads.admin import ThreadsAdmin
from cogs.threads.weekly_post import WeeklyPoster

if TYPE_CHECKING:
    from bot.announce.alerts import Alerts
    from bot.client import CommunityBot
    from bot.fleet.once import LeaseGate
    from bot.threads.service import ThreadsService
    from bot.threads.tracker import ThreadTracker

log = logging.getLogger(__name__)

COUNTED_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})
RECONCILE_EVERY = timedelta(hours=6)
MAX_FETCHES_PER_GUILD = 50
#: Seconds between two thread fetches of a reconciliation run (polite to Discord's rate limits).
RECONCILE_PACE = 0.5
ACTIVITY_RETENTION = timedelta(days=15)
PARTICIPANT_RETENTION = timedelta(days=90)
PRUNE_LEASE = "threads-prune"


def status_of(thread: discord.Thread) -> ThreadStatus:
    """What a thread object says about itself now."""
    return ThreadStatus(
        name=thread.name,
        archived=thread.archived,
        locked=thread.locked,
        tags=tuple(tag.name for tag in thread.applied_tags),
        parent_id=thread.parent_id,
    )


def status_from_payload(guild: discord.Guild | None, data: Mapping[str, Any]) -> ThreadStatus:
    """The same from a raw THREAD_UPDATE payload (the thread may not be cached, e.g. archived ones)."""
    meta = data.get("thread_metadata") or {}
    tags: tuple[str, ...] | None = None
    parent = guild.get_channel(int(data["parent_id"])) if guild and data.get("parent_id") else None
    if isinstance(parent, discord.ForumChannel) and "applied_tags" in data:
        applied = {int(tag_id) for tag_id in data["applied_tags"]}
        tags = tuple(tag.name for tag in parent.available_tags if tag.id in applied)
    return ThreadStatus(
        name=data.get("name"),
        archived=meta.get("archived"),
        locked=meta.get("locked"),
        tags=tags,
    )


def is_counted(message: discord.Message) -> bool:
    """A member's message in a guild: not a bot, webhook or system message (content is not read)."""
    return (
        message.guild is not None
        and not message.author.bot
        and message.webhook_id is None
        and message.type in COUNTED_TYPES
    )


class ThreadsCog(commands.Cog, name="Threads"):
    """Tracks discussion threads; `/admin threads …` (the members' `/threads` is `ThreadsListing`)."""

    def __init__(
        self,
        bot: CommunityBot,
        tracker: ThreadTracker,
        threads: ThreadsService,
        *,
        episodes: EpisodeSource,
        polls: PollResultsSource | None,
        alerts: Alerts,
        weekly_check_seconds: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
        claim: Callable[[str], LeaseGate] | None = None,
    ) -> None:
        self.bot = bot
        self.tracker = tracker
        self.threads_service = threads
        self.clock = clock
        self.reconcile_pace = RECONCILE_PACE
        self.max_fetches = MAX_FETCHES_PER_GUILD
        self.reconcile_runs = 0  # completed reconciliation runs since start (tests wait on it)
        self.admin = ThreadsAdmin(self)
        self.claim = claim
        self.poster = WeeklyPoster(bot, threads, episodes=episodes, polls=polls, alerts=alerts, claim=claim)
        self.flush_loop.change_interval(seconds=bot.settings.tracker_flush_interval)
        self.weekly_loop.change_interval(seconds=weekly_check_seconds)
        self.reconcile_loop.change_interval(seconds=RECONCILE_EVERY.total_seconds())

    async def cog_load(self) -> None:
        await self.tracker.load()
        self.flush_loop.start()
        self.reconcile_loop.start()
        self.weekly_loop.start()

    async def cog_unload(self) -> None:
        for loop in (self.weekly_loop, self.reconcile_loop, self.flush_loop):
            loop.cancel()
        try:
            result = await self.tracker.flush()
            log.info("final flush on unload: %d message events written", result.events)
        except Exception:
            log.exception("final flush failed: %d message events lost", self.tracker.pending_events)

    # Loops -----------------------------------------------------------------------------------------

    @tasks.loop(seconds=5)
    async def flush_loop(self) -> None:
        try:
            await self.tracker.flush()
        except Exception:
            log.exception("flushing thread activity failed; the events are kept for the next flush")

    @tasks.loop(hours=6)
    async def reconcile_loop(self) -> None:
        for guild in list(self.bot.guilds):
            try:
                await self.reconcile_guild(guild)
            except Exception:
                log.exception("reconciling the threads of guild %s failed", guild.id)
        try:
            now = self.clock()

            async def prune() -> None:
                await self.threads_service.prune(
                    activity_before=now - ACTIVITY_RETENTION, dormant_before=now - PARTICIPANT_RETENTION
                )

            # Pruning covers every guild: in a fleet, one process at a time (the others' runs find less).
            if self.claim is None:
                await prune()
            else:
                await self.claim(PRUNE_LEASE).run(prune, release=True)
        except Exception:
            log.exception("pruning old thread data failed")
        self.reconcile_runs += 1

    @tasks.loop(seconds=60)
    async def weekly_loop(self) -> None:
        await self.check_weekly()

    @reconcile_loop.before_loop
    @weekly_loop.before_loop
    async def _wait_ready(self) -> None:
        await self.bot.wait_until_ready()

    # Reconciliation ----------------------------------------------------------------------------------

    async def reconcile_guild(self, guild: discord.Guild) -> None:
        """Bring stored thread states in line with Discord after downtime.

        Active threads are fetched in one request. A tracked thread not among them was archived or deleted
        while the bot was away; an archived tracked thread may have been deleted since. Both are fetched
        one by one (missing active ones first, then archived ones least recently checked first, at most
        `max_fetches` a run, `reconcile_pace` seconds apart) and marked deleted on 404, so
        over a few runs every archived thread is checked without a burst of requests.
        New threads in tracked channels are tracked.
        """
        active = {thread.id: thread for thread in await guild.active_threads()}
        for thread in active.values():
            if not self.tracker.is_tracked(thread.id) and self.should_auto_track(thread):
                await self.track(thread)
        to_fetch: list[int] = []
        for row in await self.threads_service.in_guild(guild.id):
            live = active.get(row.thread_id)
            if live is not None:
                status = status_of(live)
                if (status.archived, status.locked, status.name) != (
                    row.state == "archived",
                    row.locked,
                    row.name,
                ):
                    await self.tracker.update_status(row.thread_id, status)
            elif row.state == "active":
                to_fetch.append(row.thread_id)
        to_fetch = to_fetch[: self.max_fetches]
        room = self.max_fetches - len(to_fetch)
        if room > 0:
            archived = await self.threads_service.archived_least_checked(guild.id, room)
            to_fetch += [row.thread_id for row in archived if row.thread_id not in active]
        for n, thread_id in enumerate(to_fetch):
            if n and self.reconcile_pace:
                await asyncio.sleep(self.reconcile_pace)
            await self._check_thread(thread_id)

    async def _check_thread(self, thread_id: int) -> None:
        """Fetch one tracked thread and record what Discord says (deleted on 404)."""
        try:
            fetched = await self.bot.fetch_channel(thread_id)
        except discord.NotFound:
            await self.tracker.thread_deleted(thread_id)
            log.info("tracked thread %s was deleted while the bot was away", thread_id)
            return
        except discord.Forbidden:
            # The bot lost access to the channel: `/threads` leaves it out (it lists only what the bot
            # can open); it is checked again on a later run.
            log.warning(
                "cannot open tracked thread %s any more (403); not listed until access returns", thread_id
            )
            await self.tracker.update_status(thread_id, ThreadStatus(archived=True))
            return
        except discord.HTTPException as exc:
            log.warning(
                "cannot check thread %s now (%s); checked again on a later run", thread_id, exc.status
            )
            return
        if isinstance(fetched, discord.Thread):
            await self.tracker.update_status(thread_id, status_of(fetched))

    # Events ------------------------------------------------------------------------------------------

    def should_auto_track(self, thread: discord.Thread) -> bool:
        """Public threads (and forum posts) created in a tracked channel; private threads are never listed."""
        return thread.type is not discord.ChannelType.private_thread and self.tracker.parent_tracked(
            thread.guild.id, thread.parent_id
        )

    async def track(
        self, thread: discord.Thread, *, item_id: int | None = None, source: str | None = None
    ) -> bool:
        return await self.tracker.track_thread(
            thread.id,
            thread.guild.id,
            thread.parent_id,
            name=thread.name,
            created_at=thread.created_at or discord.utils.snowflake_time(thread.id),
            item_id=item_id,
            tags=[tag.name for tag in thread.applied_tags],
            source="manual" if source == "manual" else None,
            archived=thread.archived,
            locked=thread.locked,
        )

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if not is_counted(message):
            return
        channel = message.channel  # a Thread, or a PartialMessageable when the thread is not cached
        if not self.tracker.is_tracked(channel.id):
            if not isinstance(channel, discord.Thread) or not self.should_auto_track(channel):
                return
            try:
                await self.track(channel)
            except Exception:
                log.exception("could not track thread %s", channel.id)
                return
        self.tracker.record_message(channel.id, message.author.id, message.created_at)

    @commands.Cog.listener()
    async def on_thread_create(self, thread: discord.Thread) -> None:
        if self.tracker.is_tracked(thread.id) or not self.should_auto_track(thread):
            return
        try:
            await self.track(thread)
            log.info("tracking new thread %s in channel %s", thread.id, thread.parent_id)
        except Exception:
            log.exception("could not track new thread %s", thread.id)

    @commands.Cog.listener()
    async def on_raw_thread_update(self, payload: discord.RawThreadUpdateEvent) -> None:
        guild = self.bot.get_guild(payload.guild_id)
        status = status_of(payload.thread) if payload.thread else status_from_payload(guild, payload.data)
        try:
            if self.tracker.is_tracked(payload.thread_id):
                await self.tracker.update_status(payload.thread_id, status)
            elif (
                payload.thread is not None and not status.archived and self.should_auto_track(payload.thread)
            ):
                await self.track(payload.thread)
        except Exception:
            log.exception("could not update thread %s", payload.thread_id)

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        if not self.tracker.is_tracked(payload.thread_id):
            return
        try:
            await self.tracker.thread_deleted(payload.thread_id)
        except Exception:
            log.exception("could not mark thread %s deleted", payload.thread_id)

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        if self.tracker.parent_tracked(channel.guild.id, channel.id):
            try:
                await self.tracker.untrack_parent(channel.guild.id, channel.id)
            except Exception:
                log.exception("could not untrack deleted channel %s", channel.id)

    # Weekly post -------------------------------------------------------------------------------------

    async def check_weekly(self) -> int:
        """Post every weekly "hot discussions" message that is due; returns how many were posted."""
        return await self.poster.check(self.clock())
