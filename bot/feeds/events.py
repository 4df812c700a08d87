"""What the poller tells the rest of the bot: new and edited items, feed health, feed moves.

`FeedWorker` calls one `FeedEvents` listener, always after the poll's transaction committed. Several
consumers (the announcer, the mod-log notifier) subscribe through a `FeedEventHub`, which isolates them:
one listener raising never keeps the others from hearing the event. The composition root
(`bot.container`) builds the one hub of a process and hands it to the worker and to the listeners.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.feeds.models import Feed, StoredItem

log = logging.getLogger(__name__)


class FeedEvents(Protocol):
    """The listener of a `FeedWorker`. Items come oldest publication first."""

    async def on_new_items(self, feed: Feed, items: list[StoredItem]) -> None: ...

    async def on_edited_items(self, feed: Feed, items: list[StoredItem]) -> None: ...

    async def on_feed_failing(self, feed: Feed, reason: str) -> None: ...

    async def on_feed_recovered(self, feed: Feed) -> None: ...

    async def on_feed_moved(self, feed: Feed, old_url: str, new_url: str) -> None: ...


class NullEvents:
    """A listener that ignores everything (the preview, tests that only look at the store)."""

    async def on_new_items(self, feed: Feed, items: list[StoredItem]) -> None:
        return None

    async def on_edited_items(self, feed: Feed, items: list[StoredItem]) -> None:
        return None

    async def on_feed_failing(self, feed: Feed, reason: str) -> None:
        return None

    async def on_feed_recovered(self, feed: Feed) -> None:
        return None

    async def on_feed_moved(self, feed: Feed, old_url: str, new_url: str) -> None:
        return None


class FeedEventHub:
    """Fans each event out to every subscriber, each isolated from the others' failures."""

    def __init__(self) -> None:
        self._listeners: list[FeedEvents] = []

    def subscribe(self, listener: FeedEvents) -> None:
        if listener not in self._listeners:
            self._listeners.append(listener)

    def unsubscribe(self, listener: FeedEvents) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    async def _emit(self, name: str, call: Callable[[FeedEvents], Awaitable[None]]) -> None:
        for listener in list(self._listeners):
            try:
                await call(listener)
            except Exception:
                log.exception("feed event listener %r failed on %s", listener, name)

    async def on_new_items(self, feed: Feed, items: list[StoredItem]) -> None:
        await self._emit("on_new_items", lambda listener: listener.on_new_items(feed, items))

    async def on_edited_items(self, feed: Feed, items: list[StoredItem]) -> None:
        await self._emit("on_edited_items", lambda listener: listener.on_edited_items(feed, items))

    async def on_feed_failing(self, feed: Feed, reason: str) -> None:
        await self._emit("on_feed_failing", lambda listener: listener.on_feed_failing(feed, reason))

    async def on_feed_recovered(self, feed: Feed) -> None:
        await self._emit("on_feed_recovered", lambda listener: listener.on_feed_recovered(feed))

    async def on_feed_moved(self, feed: Feed, old_url: str, new_url: str) -> None:
        await self._emit("on_feed_moved", lambda listener: listener.on_feed_moved(feed, old_url, new_url))
