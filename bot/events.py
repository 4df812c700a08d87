"""The container's one typed event dispatch for reactions across capabilities.

A service that causes something other capabilities may react to publishes a small frozen event
(`ThreadOpened`, `PollClosed`); whoever reacts subscribes a handler for that event type in the composition
root (`bot.container`). Each handler runs isolated: one raising is logged and never keeps the others from
hearing the event, nor fails the publisher. Feed events (new and edited items, feed health) keep their own
hub, `bot.feeds.events.FeedEventHub`, which the feed worker reports to.

Events are for reactions only. A step that must finish and be retried (the announcement pipeline's thread
tracking, digest and poll) stays a direct call on a typed collaborator.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ThreadOpened:
    """The announcement pipeline opened the discussion thread of an episode in a server."""

    guild_id: int
    thread_id: int
    parent_id: int
    name: str
    item_id: int
    tags: tuple[str, ...]
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class PollClosed:
    """A poll stopped counting votes (on schedule, by a moderator, or when Discord finalized it)."""

    poll_id: int
    guild_id: int
    channel_id: int
    item_id: int | None
    closed_at: datetime


Event = ThreadOpened | PollClosed
E = TypeVar("E", ThreadOpened, PollClosed)
Handler = Callable[[E], Awaitable[None]]


class EventBus:
    """Delivers each published event to the handlers subscribed to its type, in subscription order."""

    def __init__(self) -> None:
        self._handlers: defaultdict[type[Any], list[Callable[[Any], Awaitable[None]]]] = defaultdict(list)

    def subscribe(self, kind: type[E], handler: Callable[[E], Awaitable[None]]) -> None:
        if handler not in self._handlers[kind]:
            self._handlers[kind].append(handler)

    def unsubscribe(self, kind: type[E], handler: Callable[[E], Awaitable[None]]) -> None:
        if handler in self._handlers[kind]:
            self._handlers[kind].remove(handler)

    async def publish(self, event: Event) -> None:
        """Run every handler of the event's type; a failing one is logged and the others still run."""
        for handler in list(self._handlers[type(event)]):
            try:
                await handler(event)
            except Exception:
                log.exception("event handler %r failed on %s", handler, type(event).__name__)
