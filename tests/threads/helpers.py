"""Seeding announced episodes for the thread tests, through the repositories (no SQL in tests)."""

from __future__ import annotations

from datetime import datetime

from bot.announce.models import ChannelKind
from bot.feeds.models import ParsedItem
from bot.store import Store
from bot.store.feeds import NewItem


async def add_episode(store: Store, feed_id: int, key: str, title: str, published: datetime) -> int:
    item = ParsedItem(key=key, title=title, link=f"https://example.com/{key}", published=published)
    item.content_hash = key
    inserted, _ = await store.feeds.save_poll(
        feed_id, now=published, feed_fields={}, new=[NewItem(item, "new")]
    )
    return inserted[0].id


async def record_announced(store: Store, guild_id: int, feed_id: int, item_id: int, message_id: int) -> None:
    """The announcer delivered the item in the guild (its message exists)."""
    sub = await store.announcements.subscribe(guild_id, feed_id, 1, ChannelKind.TEXT)
    async with store.db.transaction() as tx:
        await store.announcements.create_deliveries(
            tx, item_id=item_id, feed_id=feed_id, subscriptions=[sub], backfill=True
        )
    delivery = await store.announcements.delivery_for(guild_id, item_id)
    assert delivery is not None
    await store.announcements.record_sent(delivery.id, message_id, 1, thread_id=None)
