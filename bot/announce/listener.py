"""The announcer's side of the feed worker's events: wake the outbox, tell moderators about feed health."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.render.text import defang_mentions, truncate

if TYPE_CHECKING:
    from bot.announce.alerts import Alerts
    from bot.feeds.models import Feed, StoredItem
    from bot.store import Store

log = logging.getLogger(__name__)


class AnnouncementEvents:
    """Implements the feeds capability's `FeedEvents`.

    New and edited items only wake the delivery loop: the loop reads the store (pending items, stale
    announcements), so an event lost in a crash loses nothing. Health events go to the mod-log channel of
    every guild following the feed.
    """

    def __init__(self, store: Store, alerts: Alerts, wake: Callable[[], None]) -> None:
        self.store = store
        self.alerts = alerts
        self.wake = wake

    async def on_new_items(self, feed: Feed, items: list[StoredItem]) -> None:
        log.debug("%d new item(s) in feed %s", len(items), feed.id)
        self.wake()

    async def on_edited_items(self, feed: Feed, items: list[StoredItem]) -> None:
        log.debug("%d edited item(s) in feed %s", len(items), feed.id)
        self.wake()

    async def on_feed_failing(self, feed: Feed, reason: str) -> None:
        await self._tell(
            feed,
            f"⚠️ The feed **{_name(feed)}** is failing: {truncate(defang_mentions(reason), 500)}. "
            "I keep retrying with backoff and will say when it recovers; `/admin feed check` retries now.",
        )

    async def on_feed_recovered(self, feed: Feed) -> None:
        await self._tell(feed, f"✅ The feed **{_name(feed)}** is being read again; nothing is lost.")

    async def on_feed_moved(self, feed: Feed, old_url: str, new_url: str) -> None:
        await self._tell(
            feed,
            f"ℹ️ The feed **{_name(feed)}** moved from <{truncate(old_url, 300)}> "
            f"to <{truncate(new_url, 300)}>; I follow the new address.",
        )

    async def _tell(self, feed: Feed, text: str) -> None:
        for sub in await self.store.announcements.subscriptions_for_feed(feed.id):
            try:
                await self.alerts.notify(sub.guild_id, text)
            except Exception:
                log.exception("could not alert guild %s about feed %s", sub.guild_id, feed.id)


def _name(feed: Feed) -> str:
    return truncate(defang_mentions(feed.display_name), 200)
