"""The preview's decisions: the worker's own rules, against the bot's store when it knows the feed.

A feed the store does not hold is judged as a poll would judge it when the feed is added (or, with
`PreviewMode`, as a later poll in which every item is new). A feed the store holds (the bot's database at
`DATABASE_PATH`, at the current schema) is judged exactly as the next poll would: its stored items are
"already known", a new GUID with a known link is a "duplicate of" the stored item, and the daily cap
counts what was announced in the last day. The store is only read.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from bot.feeds.decide import KNOWN, ItemDecision, PollRules, decide, decide_stored, explain
from bot.feeds.models import Feed, ParsedFeed
from bot.settings import Settings
from bot.store import Store
from bot.store.db import StoreError, load_migrations
from bot.timeutil import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PreviewMode:
    """Which poll the preview stands for when the store does not hold the feed: a first read
    (optionally announcing the newest N, as `/admin feed add`), or a later poll of a followed feed."""

    followed: bool = False
    newest: int = 0

    def rules(self, settings: Settings) -> PollRules:
        """The worker's rules for this poll, with the operator's window and daily cap."""
        return PollRules(
            first_fetch=not self.followed,
            announce_newest=0 if self.followed else max(0, self.newest),
            now=utcnow(),
            window=timedelta(days=settings.announce_window_days),
            daily_cap=settings.feed_daily_cap,
        )


def _schema_version(path: str) -> int | None:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error:
        return None


@asynccontextmanager
async def stored_state(settings: Settings) -> AsyncIterator[Store | None]:
    """The bot's store when its database exists at the current schema, else None (never created)."""
    if settings.database_is_postgresql:
        try:
            shared = await Store.open(settings.database, apply_migrations=False, pool_size=2)
        except StoreError as exc:
            log.info("preview: the PostgreSQL database is not read (%s)", exc)
            yield None
            return
        try:
            yield shared
        finally:
            await shared.close()
        return
    path = settings.database_path
    if not path.is_file():
        yield None
        return
    version = _schema_version(str(path))
    if version != load_migrations()[-1].version:
        log.info("preview: %s is at schema %s, not read", path, version)
        yield None
        return
    store = await Store.open(path, apply_migrations=False)
    try:
        yield store
    finally:
        await store.close()


async def decide_source(
    parsed: ParsedFeed,
    hashes: Sequence[str],
    urls: Sequence[str],
    rules: PollRules,
    store: Store | None,
) -> tuple[dict[str, ItemDecision], Feed | None]:
    """Each item's decision by key, and the stored feed it was judged against (None: as `rules` say)."""
    stored = None
    if store is not None:
        for url in urls:
            stored = stored or await store.feeds.get_feed_by_url(url)
    if store is None or stored is None:
        return explain(decide(parsed.items, [], present_hashes=set(), rules=rules), rules), None
    known = await store.feeds.known_items(stored.id)
    changes, stored_rules = await decide_stored(
        store.feeds,
        stored,
        parsed.items,
        known=known,
        present_hashes=set(hashes),
        now=rules.now,
        window=rules.window,
        daily_cap=rules.daily_cap,
    )
    titles: dict[int, str] = {}
    for new in changes.new:
        original = await store.feeds.get_item(new.duplicate_of) if new.duplicate_of else None
        if original is not None:
            titles[original.id] = original.title
    decisions = explain(changes, stored_rules, titles)
    for item in parsed.items:
        decisions.setdefault(item.key, ItemDecision("known", KNOWN))
    return decisions, stored
