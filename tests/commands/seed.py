"""Seeding episodes for the command tests through the owners' own repositories (no SQL here)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.announce.models import ChannelKind
from bot.digest.models import Digest, Entities, PollSuggestion, digest_key
from bot.feeds.models import Feed, StoredItem
from bot.store import Store
from bot.store.digests import CacheKey
from bot.timeutil import utcnow
from tests.announce.helpers import add_item, podcast


async def follow(store: Store, guild_id: int, feed: Feed, channel_id: int = 1) -> None:
    """The guild follows `feed` (as `/admin feed channel` records it)."""
    await store.announcements.subscribe(guild_id, feed.id, channel_id, ChannelKind.TEXT)


async def episode(
    store: Store, feed: Feed, key: str, title: str, *, days_ago: float = 0, **fields: Any
) -> StoredItem:
    """A stored episode published `days_ago` days ago."""
    fields.setdefault("published", utcnow() - timedelta(days=days_ago, minutes=5))
    return await add_item(store, feed, key, title, **fields)


def make_digest(tldr: str, points: list[str] | None = None) -> Digest:
    return Digest(
        tldr=tldr,
        key_points=points or ["First point.", "Second point.", "Third point."],
        topics=["open models"],
        entities=Entities(),
        quote=None,
        angle="Open versus closed.",
        poll=PollSuggestion(question="Open or closed?", answers=["Open", "Closed"]),
        backend="offline",
        model="offline",
        source="transcript",
    )


async def digest(store: Store, item: StoredItem, tldr: str, points: list[str] | None = None) -> None:
    """A digest of `item`, stored as the digest capability stores it."""
    key = CacheKey(digest_key(item), "hash-" + tldr[:10], "offline", "offline", "v1")
    await store.digests.save(key, item.title, make_digest(tldr, points))


__all__ = ["digest", "episode", "follow", "podcast"]
