"""Seeding feeds and items through the feeds capability's own repository (no SQL in tests)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from bot.feeds.models import Feed, ParsedItem, StoredItem, Transcript
from bot.store import Store
from bot.store.feeds import ItemChange, NewItem
from bot.timeutil import utcnow


def parsed(key: str, title: str, **fields: Any) -> ParsedItem:
    fields.setdefault("link", f"https://example.com/episodes/{key}")
    fields.setdefault("published", utcnow() - timedelta(minutes=5))
    fields.setdefault("text", f"Show notes of {title}.")
    item = ParsedItem(key=key, title=title, **fields)
    item.content_hash = hashlib.sha256(f"{title}|{item.text}".encode()).hexdigest()
    return item


async def podcast(store: Store, url: str = "https://example.com/podcast.xml") -> Feed:
    feed = await store.feeds.ensure_builtin("podcast", url, "podcast")
    await store.feeds.update_feed(feed.id, title="The AI Daily Brief", first_fetch_done=1)
    got = await store.feeds.get_feed(feed.id)
    assert got is not None
    return got


async def newsletter(store: Store, url: str = "https://example.com/newsletter.xml") -> Feed:
    feed = await store.feeds.ensure_builtin("newsletter", url, "newsletter")
    await store.feeds.update_feed(feed.id, title="AIDB Newsletter", first_fetch_done=1)
    got = await store.feeds.get_feed(feed.id)
    assert got is not None
    return got


async def add_item(
    store: Store,
    feed: Feed,
    key: str,
    title: str,
    *,
    status: str = "new",
    skip_reason: Any = None,
    now: datetime | None = None,
    **fields: Any,
) -> StoredItem:
    inserted, _ = await store.feeds.save_poll(
        feed.id,
        now=now or utcnow(),
        feed_fields={},
        new=[NewItem(parsed(key, title, **fields), status, skip_reason)],
    )
    return inserted[0]


async def edit_item(store: Store, item: StoredItem, **fields: Any) -> StoredItem:
    """The feed changed the item: a new revision (as the poller records it)."""
    values = {
        "link": item.link,
        "published": item.published_at,
        "text": item.summary_text,
        "duration_seconds": item.duration_seconds,
    }
    values.update(fields)
    title = values.pop("title", item.title)
    change = parsed(item.key, title, **values)
    _, edited = await store.feeds.save_poll(
        item.feed_id, now=utcnow(), feed_fields={}, changes=[ItemChange(item.id, change, edited=True)]
    )
    return edited[0]


TRANSCRIPTS = [
    Transcript(url="https://example.com/t.vtt", type="text/vtt"),
    Transcript(url="https://example.com/t.html", type="text/html"),
]
