"""The announcer at run time: the feed-event listener, the delivery loop and the follow-up loop.

Two loops, each woken at once by events and otherwise every `interval` seconds: the delivery loop
dispatches pending items, hands due announcements to the fan-out (one task per server, so one slow or
failing server never delays another; see `bot.announce.fanout`) and edits stale ones; the follow-up
loop advances sent announcements through thread, tracking, digest and poll, so a slow digest never
delays an announcement. Both drain the outbox from the store on start-up, which is how a restart resumes.
With several processes, each takes only its own guilds' deliveries (claimed through the outbox), and the
delivery loop is also woken when another process creates deliveries (`Outbox.watch`; PostgreSQL).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands, tasks

from bot.announce.delivery import Outcome, backoff
from bot.announce.fanout import FanOut
from bot.timeutil import utcnow

if TYPE_CHECKING:
    from bot.announce.models import Delivery
    from bot.client import CommunityBot
    from bot.container import Services

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 5.0
LEFT_GUILD = "the bot left this server"
#: Deliveries taken per cycle; a full batch runs the next cycle at once.
BATCH = 50


class Announcements(commands.Cog, name="Announcements"):
    """Runs the outbox loops over the services the container built; commands live in `admin.py` and
    `members.py`."""

    def __init__(self, bot: CommunityBot, services: Services, *, interval: float = DEFAULT_INTERVAL) -> None:
        self.bot = bot
        self.interval = interval
        self.alerts = services.alerts
        self.outbox = services.outbox
        self.announcer = services.announcer
        self.pipeline = services.pipeline
        self.hub = services.feed_events
        # One task per server with due announcements: a slow or failing server never holds up another.
        settings = services.settings
        self.fanout = FanOut(self._send_one, concurrency=settings.announce_concurrency, on_done=self.wake)
        self.events = services.outbox.listener(self.alerts, self.wake)
        self._send_wake = asyncio.Event()
        self._followup_wake = asyncio.Event()
        self.cycles = 0

    async def cog_load(self) -> None:
        self.hub.subscribe(self.events)
        await self.outbox.watch(self.wake)  # deliveries another process created wake this loop too
        self.delivery_loop.start()
        self.followup_loop.start()

    async def cog_unload(self) -> None:
        self.hub.unsubscribe(self.events)
        await self.outbox.unwatch(self.wake)
        self.delivery_loop.cancel()
        self.followup_loop.cancel()
        await self.fanout.close()

    def wake(self) -> None:
        """Run the delivery loop now (new or edited items, a resumed subscription, a backfill)."""
        self._send_wake.set()

    # -- the delivery loop ----------------------------------------------------------------------------

    @tasks.loop(seconds=0)
    async def delivery_loop(self) -> None:
        if self.bot.is_closed():  # the client is shutting down: the store may be closing too
            self.delivery_loop.stop()
            return
        self._send_wake.clear()
        try:
            await self.send_cycle()
        except Exception:
            log.exception("delivery cycle failed; retrying in %ss", self.interval)
        await self._sleep(self._send_wake)

    @delivery_loop.before_loop
    async def _before_delivery(self) -> None:
        await self.bot.wait_until_ready()

    async def send_cycle(self) -> None:
        """Dispatch pending items, send what is due, edit what the feed changed, retry alerts. Each step
        isolated."""
        try:
            await self.outbox.dispatch_pending()
        except Exception:
            log.exception("dispatch failed")
        due = await self.outbox.due_sends(BATCH, exclude_guilds=self.fanout.busy)
        if self.fanout.start(due) and len(due) == BATCH:
            self._send_wake.set()  # more are waiting: go again at once rather than after the interval
        try:
            await self.pipeline.refresh_stale()
        except Exception:
            log.exception("editing changed announcements failed")
        try:
            await self.alerts.retry_due()  # moderator alerts that met a transient Discord error
        except Exception:
            log.exception("retrying moderator alerts failed")
        self.cycles += 1

    async def _send_one(self, delivery: Delivery) -> None:
        """Send one delivery (in its guild's fan-out task); failures are recorded, never raised."""
        try:
            outcome = await self.announcer.deliver(delivery)
        except Exception as exc:
            log.exception("delivery %s failed unexpectedly", delivery.id)
            retry_at = utcnow() + backoff(
                delivery.attempts + 1, self.announcer.retry_base, self.announcer.retry_max
            )
            await self.outbox.record_failure(delivery.id, f"internal error: {exc!r}", retry_at=retry_at)
            return
        if outcome is Outcome.SENT:
            self._followup_wake.set()

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Removed from a server: hold its announcements (they resume if the bot is added back)."""
        await self.outbox.hold_guild(guild.id, LEFT_GUILD)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        """Added back to a server: resume what was held because the bot had left."""
        await self.outbox.release_guild(guild.id, LEFT_GUILD)
        self.wake()

    # -- the follow-up loop ---------------------------------------------------------------------------

    @tasks.loop(seconds=0)
    async def followup_loop(self) -> None:
        if self.bot.is_closed():
            self.followup_loop.stop()
            return
        self._followup_wake.clear()
        try:
            await self.followup_cycle()
        except Exception:
            log.exception("follow-up cycle failed; retrying in %ss", self.interval)
        await self._sleep(self._followup_wake)

    @followup_loop.before_loop
    async def _before_followup(self) -> None:
        await self.bot.wait_until_ready()

    async def followup_cycle(self) -> None:
        due = await self.outbox.due_followups(BATCH)
        if len(due) == BATCH:
            self._followup_wake.set()
        for delivery in due:
            await self.pipeline.advance(delivery)

    async def _sleep(self, event: asyncio.Event) -> None:
        """Until woken, the next retry is due, or `interval` passed, whichever comes first."""
        timeout = self.interval
        try:
            due = await self.outbox.next_due_at()
        except Exception:
            log.exception("could not read the next retry time")
            due = None
        if due is not None:
            timeout = min(timeout, max(0.01, (due - utcnow()).total_seconds()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout=timeout)
