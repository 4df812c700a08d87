"""Seeding feed items through the feeds capability's own repository (no SQL in tests)."""

from __future__ import annotations

import hashlib

from bot.feeds.models import ParsedItem, StoredItem
from bot.store import Store
from bot.store.feeds import NewItem
from bot.timeutil import utcnow


async def add_episode(store: Store, key: str, title: str, notes: str, *, kind: str = "podcast") -> StoredItem:
    """Store an episode (or, with kind="newsletter", an issue) whose show notes are `notes`."""
    feed = await store.feeds.ensure_builtin(kind, f"https://example.com/{kind}.xml", kind)  # type: ignore[arg-type]
    item = ParsedItem(key=key, title=title, link=f"https://example.com/{key}", published=utcnow(), text=notes)
    item.content_hash = hashlib.sha256(notes.encode()).hexdigest()
    inserted, _ = await store.feeds.save_poll(
        feed.id, now=utcnow(), feed_fields={}, new=[NewItem(item, "new", None)]
    )
    return inserted[0]
