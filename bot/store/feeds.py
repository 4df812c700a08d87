"""Feeds, their fetch state, and the items (episodes, issues) seen in them.

Feeds are global: one row (and one fetch) per URL, shared by every guild. Items carry their announcement
state: `status` 'new' (eligible) or 'skipped' with a `skip_reason`; `dispatched_at` is set by the announcer
once it has fanned an item out to guilds (`mark_dispatched`), never by the poller.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.feeds.errors import FeedExists
from bot.feeds.models import Feed, FeedKind, ItemExplanation, ParsedItem, SkipReason, StoredItem, Transcript
from bot.store.base import Repo
from bot.store.db import StoreError
from bot.store.leases import Lease, check_held
from bot.timeutil import from_db, to_db, utcnow

if TYPE_CHECKING:
    import aiosqlite

    from bot.store.db import Transaction

_FEED_COLUMNS = frozenset(
    {
        "url", "title", "site_link", "podcast_guid", "image_url", "etag", "last_modified", "last_fetch_at",
        "last_success_at", "last_error", "consecutive_failures", "next_poll_at", "status", "active",
        "first_fetch_done", "announce_newest", "head_hash", "items_fingerprint", "declared_interval",
        "declared_rrule", "feed_complete", "cache_max_age", "poll_reason", "push_active",
    }
)  # fmt: skip
_ITEM_ORDER = "COALESCE(published_at, first_seen_at), id"
_SKIP_TEXT = {
    "first_run": "it was already in the feed when the bot first read it (nothing is announced on a feed's "
    "first fetch unless a moderator asks for the newest items)",
    "too_old": "it was published before the announcement window",
    "daily_cap": "the feed went over its daily cap of new items (a runaway feed guard)",
    "duplicate": "it has the same link or title as an item already seen (a re-published or re-keyed item)",
}


@dataclass(frozen=True, slots=True)
class KnownItem:
    """The identity facts of a stored item that a poll compares against (cheap to load)."""

    id: int
    key: str
    raw_hash: str | None
    content_hash: str
    norm_link: str | None
    norm_title: str | None
    still_in_feed: bool


@dataclass(frozen=True, slots=True)
class Published:
    """One item's publication time as the feed states it, when the bot first saw it, and whether it was
    already in the feed at the bot's first fetch (then `first_seen_at` says nothing about publication)."""

    published_at: datetime | None
    first_seen_at: datetime
    first_run: bool


@dataclass(slots=True)
class NewItem:
    item: ParsedItem
    status: str
    skip_reason: SkipReason | None = None
    duplicate_of: int | None = None


@dataclass(slots=True)
class ItemChange:
    item_id: int
    item: ParsedItem
    edited: bool


_MAX_ID = 2**63 - 1


def _storable(number: int) -> bool:
    """Whether an id or count fits SQLite's INTEGER (ids typed by people can be anything)."""
    return -_MAX_ID <= number <= _MAX_ID


def _bool(value: Any) -> bool:
    return bool(value)


def feed_from_row(row: aiosqlite.Row) -> Feed:
    added = from_db(row["added_at"]) or utcnow()
    return Feed(
        id=row["id"], url=row["url"], name=row["name"], kind=row["kind"], title=row["title"],
        site_link=row["site_link"], podcast_guid=row["podcast_guid"], image_url=row["image_url"],
        etag=row["etag"], last_modified=row["last_modified"], last_fetch_at=from_db(row["last_fetch_at"]),
        last_success_at=from_db(row["last_success_at"]), last_error=row["last_error"],
        consecutive_failures=row["consecutive_failures"], next_poll_at=from_db(row["next_poll_at"]),
        status=row["status"], active=_bool(row["active"]), added_at=added,
        first_fetch_done=_bool(row["first_fetch_done"]), announce_newest=row["announce_newest"],
        head_hash=row["head_hash"], items_fingerprint=row["items_fingerprint"],
        declared_interval=row["declared_interval"], declared_rrule=row["declared_rrule"],
        feed_complete=_bool(row["feed_complete"]), cache_max_age=row["cache_max_age"],
        poll_reason=row["poll_reason"], push_active=_bool(row["push_active"]),
    )  # fmt: skip


def item_from_row(row: aiosqlite.Row) -> StoredItem:
    first_seen = from_db(row["first_seen_at"]) or utcnow()
    transcripts = [Transcript(**t) for t in json.loads(row["transcripts"] or "[]")]
    return StoredItem(
        id=row["id"], feed_id=row["feed_id"], key=row["key"], guid=row["guid"], title=row["title"],
        link=row["link"], published_at=from_db(row["published_at"]), audio_url=row["audio_url"],
        audio_type=row["audio_type"], audio_length=row["audio_length"],
        duration_seconds=row["duration_seconds"], season=row["season"], episode_number=row["episode_number"],
        image_url=row["image_url"], chapters_url=row["chapters_url"], transcripts=transcripts,
        summary_text=row["summary_text"], content_hash=row["content_hash"], revision=row["revision"],
        edited_at=from_db(row["edited_at"]), first_seen_at=first_seen, status=row["status"],
        skip_reason=row["skip_reason"], duplicate_of=row["duplicate_of"],
        dispatched_at=from_db(row["dispatched_at"]), still_in_feed=_bool(row["still_in_feed"]),
        last_seen_in_feed_at=from_db(row["last_seen_in_feed_at"]), episode_display=row["episode_display"],
    )  # fmt: skip


def _content_values(item: ParsedItem) -> tuple[Any, ...]:
    """The columns a poll (re)writes from a parsed item, in `_CONTENT_COLUMNS` order."""
    return (
        item.guid, item.title, item.link, item.audio_url, item.audio_type, item.audio_length,
        item.duration_seconds, item.season, item.episode_number, item.image_url, item.chapters_url,
        json.dumps([t.as_dict() for t in item.transcripts]), item.text, item.content_hash, item.raw_hash,
        item.norm_link, item.norm_title, item.shown_text, item.episode_display,
    )  # fmt: skip


_CONTENT_COLUMNS = (
    "guid", "title", "link", "audio_url", "audio_type", "audio_length", "duration_seconds", "season",
    "episode_number", "image_url", "chapters_url", "transcripts", "summary_text", "content_hash", "raw_hash",
    "norm_link", "norm_title", "shown_text", "episode_display",
)  # fmt: skip


class FeedRepo(Repo):
    """Feed CRUD and health, the poller's atomic writes, and the announcer's queue of items."""

    # --- feeds -----------------------------------------------------------------------------------------

    async def ensure_builtin(self, name: str, url: str, kind: FeedKind) -> Feed:
        """Create the built-in feed `name` (idempotent); when settings moved its URL, follow them."""
        async with self.db.transaction() as tx:
            row = await tx.fetchone("SELECT * FROM feeds WHERE name = ?", (name,))
            if row is None:
                taken = await tx.fetchone("SELECT id FROM feeds WHERE url = ?", (url,))
                if taken is not None:  # a moderator added it first: adopt it as the built-in
                    await tx.execute(
                        "UPDATE feeds SET name = ?, kind = ? WHERE id = ?", (name, kind, taken["id"])
                    )
                else:
                    await tx.insert(
                        "INSERT INTO feeds (url, name, kind, added_at) VALUES (?, ?, ?, ?)",
                        (url, name, kind, to_db(utcnow())),
                    )
            elif row["url"] != url:
                await tx.execute(
                    "UPDATE feeds SET url = ?, kind = ?, etag = NULL, last_modified = NULL, "
                    "head_hash = NULL, "
                    "items_fingerprint = NULL, next_poll_at = NULL WHERE id = ?",
                    (url, kind, row["id"]),
                )
            row = await tx.fetchone("SELECT * FROM feeds WHERE name = ?", (name,))
        if row is None:
            raise StoreError(f"the built-in feed {name} could not be stored")
        return feed_from_row(row)

    async def add_feed(self, url: str, *, kind: FeedKind = "feed", announce_newest: int = 0) -> Feed:
        """Add a feed by URL (raises `FeedExists`); its first fetch announces the newest `announce_newest`."""
        existing = await self.get_feed_by_url(url)
        if existing is not None:
            raise FeedExists(existing)
        feed_id = await self.db.insert(
            "INSERT INTO feeds (url, kind, announce_newest, added_at) VALUES (?, ?, ?, ?)",
            (url, kind, max(0, announce_newest), to_db(utcnow())),
        )
        feed = await self.get_feed(feed_id)
        if feed is None:
            raise StoreError(f"the feed {url} could not be stored")
        return feed

    async def remove_feed(self, feed_id: int) -> bool:
        """Delete a feed and its items; returns whether it existed."""
        if not _storable(feed_id):
            return False
        return await self.db.execute("DELETE FROM feeds WHERE id = ?", (feed_id,)) > 0

    async def set_active(self, feed_id: int, active: bool) -> bool:
        """Pause or resume polling of a feed (resuming polls it at the next tick)."""
        if not _storable(feed_id):
            return False
        return (
            await self.db.execute(
                "UPDATE feeds SET active = ?, next_poll_at = NULL WHERE id = ?", (int(active), feed_id)
            )
            > 0
        )

    async def get_feed(self, feed_id: int) -> Feed | None:
        if not _storable(feed_id):
            return None
        row = await self.db.fetchone("SELECT * FROM feeds WHERE id = ?", (feed_id,))
        return feed_from_row(row) if row else None

    async def get_feed_by_url(self, url: str) -> Feed | None:
        row = await self.db.fetchone("SELECT * FROM feeds WHERE url = ?", (url,))
        return feed_from_row(row) if row else None

    async def get_feed_by_name(self, name: str) -> Feed | None:
        row = await self.db.fetchone("SELECT * FROM feeds WHERE name = ?", (name,))
        return feed_from_row(row) if row else None

    async def list_feeds(self, *, active_only: bool = False) -> list[Feed]:
        """Every feed with its health fields (status, last error, failures, next poll), built-ins first."""
        where = "WHERE active = 1" if active_only else ""
        rows = await self.db.fetchall(f"SELECT * FROM feeds {where} ORDER BY name IS NULL, name, id")  # noqa: S608
        return [feed_from_row(row) for row in rows]

    async def due_feeds(self, now: datetime) -> list[Feed]:
        """Active feeds whose next poll time has come (or that were never polled)."""
        rows = await self.db.fetchall(
            "SELECT * FROM feeds WHERE active = 1 AND (next_poll_at IS NULL OR next_poll_at <= ?) "
            "ORDER BY next_poll_at IS NOT NULL, next_poll_at, id",
            (to_db(now),),
        )
        return [feed_from_row(row) for row in rows]

    async def update_feed(self, feed_id: int, tx: Transaction | None = None, **fields: Any) -> None:
        """Write feed columns (named in `_FEED_COLUMNS`); datetimes are stored with `to_db`."""
        unknown = set(fields) - _FEED_COLUMNS
        if unknown:
            raise ValueError(f"not feed columns: {sorted(unknown)}")
        if not fields:
            return
        values = [
            to_db(v) if isinstance(v, datetime) else (int(v) if isinstance(v, bool) else v)
            for v in fields.values()
        ]
        sql = f"UPDATE feeds SET {', '.join(f'{name} = ?' for name in fields)} WHERE id = ?"  # noqa: S608
        if tx is not None:
            await tx.execute(sql, (*values, feed_id))
        else:
            await self.db.execute(sql, (*values, feed_id))

    async def update_feed_fenced(self, feed_id: int, fence: Lease | None, **fields: Any) -> None:
        """`update_feed` for a poll run under the feed poller's lease: unless `fence` still has the same
        holder and term, nothing is written and `LeaseLost` is raised (`fence` None: written as is)."""
        if fence is None:
            await self.update_feed(feed_id, **fields)
            return
        async with self.db.transaction() as tx:
            await check_held(tx, fence)
            await self.update_feed(feed_id, tx, **fields)

    async def set_push_active(self, feed_id: int, active: bool) -> bool:
        """Record whether push (WebSub) delivers this feed; turning it off polls the feed at the next tick.

        Returns whether the feed exists. While it is on, the scheduler polls at the push safety-net rate.
        """
        if not _storable(feed_id):
            return False
        changed = await self.db.execute(
            "UPDATE feeds SET next_poll_at = CASE WHEN push_active = 1 AND ? = 0 THEN NULL "
            "ELSE next_poll_at END, push_active = ? WHERE id = ?",
            (int(active), int(active), feed_id),
        )
        return changed > 0

    async def clear_push_active(self) -> int:
        """Forget push for every feed (push is off in this run): each is polled at once, then as learned."""
        return await self.db.execute(
            "UPDATE feeds SET push_active = 0, next_poll_at = NULL WHERE push_active = 1"
        )

    # --- the poller ------------------------------------------------------------------------------------

    async def publication_history(self, feed_id: int, since: datetime, limit: int = 1000) -> list[Published]:
        """When the feed's items were published and first seen, newest first (what the schedule learns from).

        Duplicates (a re-keyed or re-published item) are left out: they are not new publications.
        """
        rows = await self.db.fetchall(
            "SELECT published_at, first_seen_at, skip_reason FROM items WHERE feed_id = ? "
            "AND COALESCE(skip_reason, '') != 'duplicate' AND COALESCE(published_at, first_seen_at) >= ? "
            "ORDER BY COALESCE(published_at, first_seen_at) DESC LIMIT ?",
            (feed_id, to_db(since), limit),
        )
        return [
            Published(from_db(r["published_at"]), from_db(r["first_seen_at"]) or since,
                      r["skip_reason"] == "first_run")
            for r in rows
        ]  # fmt: skip

    async def known_items(self, feed_id: int) -> list[KnownItem]:
        """Identity facts of every stored item of a feed (what a poll compares against)."""
        rows = await self.db.fetchall(
            "SELECT id, key, raw_hash, content_hash, norm_link, norm_title, still_in_feed FROM items "
            "WHERE feed_id = ?",
            (feed_id,),
        )
        return [
            KnownItem(r["id"], r["key"], r["raw_hash"], r["content_hash"], r["norm_link"], r["norm_title"],
                      bool(r["still_in_feed"]))
            for r in rows
        ]  # fmt: skip

    async def count_new_since(self, feed_id: int, since: datetime) -> int:
        """How many items of a feed became eligible ('new') since `since` (for the daily cap)."""
        return int(
            await self.db.fetchval(
                "SELECT COUNT(*) FROM items WHERE feed_id = ? AND status = 'new' AND first_seen_at >= ?",
                (feed_id, to_db(since)),
            )
        )

    async def save_poll(
        self,
        feed_id: int,
        *,
        now: datetime,
        feed_fields: dict[str, Any],
        new: Sequence[NewItem] = (),
        changes: Sequence[ItemChange] = (),
        left_feed: Sequence[int] = (),
        back_in_feed: Sequence[int] = (),
        fence: Lease | None = None,
    ) -> tuple[list[StoredItem], list[StoredItem]]:
        """Commit one poll atomically: feed state, new items, changed items, presence in the feed.

        Returns (inserted items, edited items) as stored. New items are committed with their status in
        the same transaction as the feed state, so a crash before the announcer ran loses nothing.
        `fence`: the lease the poll ran under; unless it still has that holder and term, nothing is written
        and `LeaseLost` is raised (a deposed leader's late result; `bot.store.leases.check_held`).
        """
        stamp = to_db(now)
        columns = ", ".join(_CONTENT_COLUMNS)
        marks = ", ".join("?" * len(_CONTENT_COLUMNS))
        assignments = ", ".join(f"{name} = ?" for name in _CONTENT_COLUMNS)
        update = f"UPDATE items SET {assignments}, still_in_feed = 1, last_seen_in_feed_at = ?"  # noqa: S608
        async with self.db.transaction() as tx:
            if fence is not None:
                await check_held(tx, fence)
            await self.update_feed(feed_id, tx, **feed_fields)
            if new:
                await tx.executemany(
                    f"INSERT INTO items (feed_id, key, published_at, first_seen_at, last_seen_in_feed_at, "  # noqa: S608
                    f"status, skip_reason, duplicate_of, {columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, {marks})",
                    [
                        (feed_id, e.item.key, to_db(e.item.published), stamp, stamp, e.status, e.skip_reason,
                         e.duplicate_of, *_content_values(e.item))
                        for e in new
                    ],
                )  # fmt: skip
            silent = [c for c in changes if not c.edited]
            edits = [c for c in changes if c.edited]
            if silent:
                await tx.executemany(
                    update + " WHERE id = ?",
                    [(*_content_values(c.item), stamp, c.item_id) for c in silent],
                )
            if edits:
                await tx.executemany(
                    update + ", revision = revision + 1, edited_at = ?, "
                    "published_at = COALESCE(?, published_at) WHERE id = ?",
                    [
                        (*_content_values(c.item), stamp, stamp, to_db(c.item.published), c.item_id)
                        for c in edits
                    ],
                )
            if left_feed:
                await tx.executemany(
                    "UPDATE items SET still_in_feed = 0 WHERE id = ?", [(item_id,) for item_id in left_feed]
                )
            if back_in_feed:
                await tx.executemany(
                    "UPDATE items SET still_in_feed = 1, last_seen_in_feed_at = ? WHERE id = ?",
                    [(stamp, item_id) for item_id in back_in_feed],
                )
        inserted = await self._items_by_keys(feed_id, [e.item.key for e in new])
        return inserted, await self._items_by_id([c.item_id for c in edits])

    async def _items_by_keys(self, feed_id: int, keys: Sequence[str]) -> list[StoredItem]:
        """The items of a feed with these keys, oldest publication first."""
        found: list[StoredItem] = []
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            rows = await self.db.fetchall(
                f"SELECT * FROM items WHERE feed_id = ? AND key IN ({', '.join('?' * len(chunk))})",  # noqa: S608
                (feed_id, *chunk),
            )
            found.extend(item_from_row(row) for row in rows)
        return sorted(found, key=lambda item: (item.published_at or item.first_seen_at, item.id))

    async def _items_by_id(self, ids: Sequence[int]) -> list[StoredItem]:
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        rows = await self.db.fetchall(
            f"SELECT * FROM items WHERE id IN ({marks}) ORDER BY {_ITEM_ORDER}",  # noqa: S608
            ids,
        )
        return [item_from_row(row) for row in rows]

    # --- the announcer's side --------------------------------------------------------------------------

    async def pending_items(self, limit: int = 100) -> list[StoredItem]:
        """Items eligible and not yet fanned out, oldest publication first (run at start-up, too)."""
        rows = await self.db.fetchall(
            f"SELECT items.* FROM items JOIN feeds ON feeds.id = items.feed_id "  # noqa: S608
            f"WHERE items.status = 'new' AND items.dispatched_at IS NULL AND feeds.active = 1 "
            f"ORDER BY {_ITEM_ORDER} LIMIT ?",
            (limit,),
        )
        return [item_from_row(row) for row in rows]

    async def mark_dispatched(self, item_id: int, tx: Transaction | None = None) -> None:
        """Record that the announcer has fanned this item out (inside its own transaction if given)."""
        sql = "UPDATE items SET dispatched_at = ? WHERE id = ? AND dispatched_at IS NULL"
        params = (to_db(utcnow()), item_id)
        if tx is not None:
            await tx.execute(sql, params)
        else:
            await self.db.execute(sql, params)

    async def get_item(self, item_id: int) -> StoredItem | None:
        if not _storable(item_id):
            return None
        row = await self.db.fetchone("SELECT * FROM items WHERE id = ?", (item_id,))
        return item_from_row(row) if row else None

    async def get_item_by_key(self, feed_id: int, key: str) -> StoredItem | None:
        if not _storable(feed_id):
            return None
        row = await self.db.fetchone("SELECT * FROM items WHERE feed_id = ? AND key = ?", (feed_id, key))
        return item_from_row(row) if row else None

    async def items_without_shown_text(self, limit: int) -> list[tuple[int, str]]:
        """(id, feed text) of items stored before `shown_text` existed, at most `limit`, oldest first."""
        rows = await self.db.fetchall(
            "SELECT id, summary_text FROM items WHERE shown_text IS NULL ORDER BY id LIMIT ?", (limit,)
        )
        return [(int(row["id"]), str(row["summary_text"] or "")) for row in rows]

    async def set_shown_text(self, values: Sequence[tuple[int, str]]) -> None:
        """Store what members read of these items (the search index follows); the feed text is untouched."""
        async with self.db.transaction() as tx:
            for item_id, text in values:
                await tx.execute("UPDATE items SET shown_text = ? WHERE id = ?", (text, item_id))

    async def latest_items(self, feed_id: int, n: int) -> list[StoredItem]:
        """The newest `n` items of a feed, newest first."""
        if not (_storable(feed_id) and _storable(n)):
            return []
        rows = await self.db.fetchall(
            "SELECT * FROM items WHERE feed_id = ? "
            "ORDER BY COALESCE(published_at, first_seen_at) DESC, id DESC LIMIT ?",
            (feed_id, n),
        )
        return [item_from_row(row) for row in rows]

    async def find_items(self, text: str, *, feed_id: int | None = None, limit: int = 25) -> list[StoredItem]:
        """Items whose title contains `text` (case-insensitive) or whose key is `text`, newest first."""
        if (feed_id is not None and not _storable(feed_id)) or not _storable(limit):
            return []
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = await self.db.fetchall(
            "SELECT * FROM items WHERE (title LIKE ? ESCAPE '\\' OR key = ?) "
            "AND (CAST(? AS BIGINT) IS NULL OR feed_id = ?) "
            "ORDER BY COALESCE(published_at, first_seen_at) DESC, id DESC LIMIT ?",
            (pattern, text, feed_id, feed_id, limit),
        )
        return [item_from_row(row) for row in rows]

    async def backfill(self, feed_id: int, n: int) -> list[StoredItem]:
        """Make the newest `n` items of a feed eligible and undispatched again; returns them oldest first."""
        if not (_storable(feed_id) and _storable(n)):
            return []
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(
                "SELECT id FROM items WHERE feed_id = ? AND still_in_feed = 1 "
                "ORDER BY COALESCE(published_at, first_seen_at) DESC, id DESC LIMIT ?",
                (feed_id, max(0, n)),
            )
            await tx.executemany(
                "UPDATE items SET status = 'new', skip_reason = NULL, duplicate_of = NULL, "
                "dispatched_at = NULL WHERE id = ?",
                [(row["id"],) for row in rows],
            )
        return await self._items_by_id([row["id"] for row in rows])

    async def explain(self, item: StoredItem, *, window: timedelta | None = None) -> ItemExplanation:
        """Why an item was or was not announced, in words a moderator understands."""
        feed = await self.get_feed(item.feed_id)
        if feed is None:
            raise StoreError(f"item {item.id} belongs to no feed")
        if item.dispatched_at is not None:
            return ItemExplanation(item, feed, True, "it was announced")
        if item.status == "new":
            reason = "it is queued for announcement" if feed.active else "its feed is paused"
            return ItemExplanation(item, feed, False, reason)
        reason = _SKIP_TEXT.get(item.skip_reason or "", "it was skipped")
        if item.skip_reason == "too_old" and window is not None:
            reason = (
                f"it was published more than {window.days or window.total_seconds() / 3600:g} "
                + ("days" if window.days else "hours")
                + " before the bot first saw it (outside the announcement window)"
            )
        if item.skip_reason == "duplicate" and item.duplicate_of is not None:
            original = await self.get_item(item.duplicate_of)
            if original is not None:
                reason += f": «{original.title}»"
        return ItemExplanation(item, feed, False, reason)
