"""Dispatch: turning new feed items into one recorded delivery per subscribed guild, atomically.

The intent to announce is written before anything is sent: in one transaction per item, one delivery row
per guild following its feed (UNIQUE(guild, item), so a repeated dispatch adds nothing) and the item
marked dispatched. A crash before the commit leaves the item pending; after it, the deliveries wait in
the outbox and the delivery loop sends them, on this run or the next.

With several processes (docs/scaling.md) any of them may dispatch, but each sends only the deliveries of
the guilds on its own shards (`Topology`), claimed for it as it reads them (`Claimant`), so no two
processes ever send the same one; the commit that creates deliveries wakes every process's loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from bot.announce.listener import AnnouncementEvents
from bot.announce.models import Delivery, Subscription
from bot.fleet import ProcessIdentity, Topology
from bot.store.announcements import Claimant
from bot.timeutil import utcnow

if TYPE_CHECKING:
    from bot.announce.alerts import Alerts
    from bot.feeds.models import Feed, StoredItem
    from bot.store import Store
    from bot.store.db import Transaction

log = logging.getLogger(__name__)

MAX_BACKFILL = 10
#: How long a silent process's claims hold when no window is given (the default `LEADER_LEASE_SECONDS`).
DEFAULT_LIVENESS = timedelta(seconds=30)


class ItemSource(Protocol):
    """What the announcer reads from the feeds capability (`bot.store.feeds.FeedRepo`)."""

    async def pending_items(self, limit: int = 100) -> list[StoredItem]: ...
    async def mark_dispatched(self, item_id: int, tx: Transaction | None = None) -> None: ...
    async def get_item(self, item_id: int) -> StoredItem | None: ...
    async def get_feed(self, feed_id: int) -> Feed | None: ...
    async def latest_items(self, feed_id: int, n: int) -> list[StoredItem]: ...


class Outbox:
    """Fans items out to guilds. Safe to call repeatedly and concurrently with the poller, and from several
    processes at once.

    `topology`: the guilds this process sends to (every guild by default); `process_id`: the name its
    claims carry (`Services.process.id`); `liveness`: how long after its last heartbeat another process's
    claims still hold.
    """

    def __init__(
        self,
        store: Store,
        items: ItemSource | None = None,
        *,
        topology: Topology | None = None,
        process_id: str | None = None,
        liveness: timedelta = DEFAULT_LIVENESS,
    ) -> None:
        self.store = store
        self.items: ItemSource = items if items is not None else store.feeds
        self.topology = topology or Topology()
        self.claimant = Claimant(process_id or ProcessIdentity().id, self.topology, liveness)

    async def dispatch_pending(self) -> int:
        """Dispatch every pending item (oldest first); returns how many deliveries were created."""
        created = 0
        while True:
            batch = await self.items.pending_items()
            if not batch:
                return created
            for item in batch:
                try:
                    created += await self.dispatch_item(item)
                except Exception:
                    # One bad item must not hold up the others; it stays pending and is retried next cycle.
                    log.exception("could not dispatch item %s of feed %s", item.id, item.feed_id)
                    return created

    async def dispatch_item(self, item: StoredItem) -> int:
        """One delivery per guild following the item's feed, and the item marked dispatched, atomically."""
        async with self.store.db.transaction() as tx:
            subscriptions = await self.store.announcements.subscriptions_for_feed(item.feed_id, tx=tx)
            created = await self.store.announcements.create_deliveries(
                tx, item_id=item.id, feed_id=item.feed_id, subscriptions=subscriptions
            )
            await self.items.mark_dispatched(item.id, tx=tx)
        if created:
            log.info("item %s (feed %s) queued for %d guild(s)", item.id, item.feed_id, created)
        return created

    async def backfill(self, subscription: Subscription, n: int) -> Sequence[StoredItem]:
        """Queue the newest `n` items of a feed for one guild now (items it already had are not repeated).

        Returns the items newly queued, oldest first. Backfills ignore the daily cap and ping nobody.
        """
        n = max(0, min(n, MAX_BACKFILL))
        newest = await self.items.latest_items(subscription.feed_id, n)
        queued = []
        async with self.store.db.transaction() as tx:
            for item in reversed(newest):
                if await self.store.announcements.create_deliveries(
                    tx, item_id=item.id, feed_id=item.feed_id, subscriptions=[subscription], backfill=True
                ):
                    queued.append(item)
        log.info(
            "backfill of %d item(s) of feed %s for guild %s",
            len(queued),
            subscription.feed_id,
            subscription.guild_id,
        )
        return queued

    def listener(self, alerts: Alerts, wake: Callable[[], None]) -> AnnouncementEvents:
        """The feed-event listener that wakes the delivery loop and tells moderators about feed health."""
        return AnnouncementEvents(self.store, alerts, wake)

    # -- what the delivery and follow-up loops read and record -----------------------------------------

    async def due_sends(self, limit: int, *, exclude_guilds: Collection[int] = ()) -> list[Delivery]:
        """Deliveries to send now (new, or whose retry is due) in this process's guilds, claimed for it,
        skipping guilds already being served."""
        return await self.store.announcements.due_sends(
            utcnow(), limit=limit, exclude_guilds=exclude_guilds, claimant=self.claimant
        )

    async def due_followups(self, limit: int) -> list[Delivery]:
        """Sent deliveries of this process's guilds whose next follow-up step (thread, tracking, digest,
        poll) is due, claimed for it."""
        return await self.store.announcements.due_followups(utcnow(), limit=limit, claimant=self.claimant)

    async def next_due_at(self) -> datetime | None:
        """When the next retry of a send or a follow-up is due in this process's guilds (None: nothing is
        waiting)."""
        return await self.store.announcements.next_due_at(utcnow(), topology=self.topology)

    async def watch(self, wake: Callable[[], None]) -> None:
        """Call `wake` when another process creates deliveries or makes waiting ones due (PostgreSQL)."""
        await self.store.announcements.watch_deliveries(wake)

    async def unwatch(self, wake: Callable[[], None]) -> None:
        await self.store.announcements.unwatch_deliveries(wake)

    async def record_failure(self, delivery_id: int, error: str, *, retry_at: datetime) -> None:
        await self.store.announcements.record_failure(delivery_id, error, retry_at=retry_at)

    async def hold_guild(self, guild_id: int, reason: str) -> None:
        """Pause every subscription of a guild the bot left (`by="auto"`: it resumes when it is back)."""
        for sub in await self.store.announcements.list_subscriptions(guild_id):
            await self.store.announcements.pause(guild_id, sub.feed_id, reason, by="auto")

    async def release_guild(self, guild_id: int, reason: str) -> None:
        """Resume the subscriptions `hold_guild` paused for `reason`."""
        for sub in await self.store.announcements.list_subscriptions(guild_id):
            if sub.paused and sub.pause_reason == reason:
                await self.store.announcements.resume(guild_id, sub.feed_id)
