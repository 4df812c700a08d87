"""What `/latest` and `/episode` show about one item, read across the capabilities' tables.

Reads items and feeds, the guild's subscription and delivery of the item and the newest digest. Every
query is scoped to a guild through `subscriptions`: an item of a feed the guild does not follow is not
found, whatever its id.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from bot.search.models import EpisodeCard, FollowedFeed
from bot.store.base import Repo
from bot.timeutil import from_db

_CARD = """
SELECT i.id, i.feed_id, coalesce(f.title, f.name, f.url) AS feed_title, f.kind AS feed_kind, i.title, i.link,
       i.published_at, i.first_seen_at, i.summary_text, i.duration_seconds, i.image_url, i.transcripts,
       i.season, i.episode_number, i.episode_display,
       d.channel_id, d.message_id, d.thread_id, d.summary_line,
       (SELECT g.data FROM digests g WHERE g.episode_key = i.digest_key
        ORDER BY g.id DESC LIMIT 1) AS digest
FROM items i
JOIN feeds f ON f.id = i.feed_id
JOIN subscriptions s ON s.feed_id = i.feed_id AND s.guild_id = ?
LEFT JOIN deliveries d ON d.item_id = i.id AND d.guild_id = s.guild_id
"""


def _json(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _card(row: sqlite3.Row) -> EpisodeCard:
    digest = _json(row["digest"])
    transcripts = _json(row["transcripts"]) or []
    urls = [ref["url"] for ref in transcripts if isinstance(ref, dict) and isinstance(ref.get("url"), str)]
    key_points = digest.get("key_points") if isinstance(digest, dict) else None
    return EpisodeCard(
        item_id=row["id"],
        feed_id=row["feed_id"],
        feed_title=row["feed_title"],
        feed_kind=row["feed_kind"],
        title=row["title"],
        link=row["link"],
        published_at=from_db(row["published_at"]) or from_db(row["first_seen_at"]),
        summary_text=row["summary_text"] or "",
        duration_seconds=row["duration_seconds"],
        image_url=row["image_url"],
        transcript_urls=urls,
        tldr=digest.get("tldr") if isinstance(digest, dict) else None,
        key_points=[str(point) for point in key_points] if isinstance(key_points, list) else [],
        summary_line=row["summary_line"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        thread_id=row["thread_id"],
        season=row["season"],
        episode_number=row["episode_number"],
        episode_display=row["episode_display"],
    )


class CardRepo(Repo):
    """Episode cards and the guild's followed feeds, for the member commands."""

    async def card(self, guild_id: int, item_id: int) -> EpisodeCard | None:
        """The item as the guild sees it, or None when the guild does not follow its feed."""
        row = await self.db.fetchone(_CARD + "WHERE i.id = ?", (guild_id, item_id))
        return _card(row) if row else None

    async def latest(self, guild_id: int, feed_id: int | None = None) -> EpisodeCard | None:
        """The newest item of the guild's feeds (or of one of them), by publication date."""
        row = await self.db.fetchone(
            _CARD + "WHERE (CAST(? AS BIGINT) IS NULL OR i.feed_id = ?) AND i.duplicate_of IS NULL "
            "ORDER BY coalesce(i.published_at, i.first_seen_at) DESC, i.id DESC LIMIT 1",
            (guild_id, feed_id, feed_id),
        )
        return _card(row) if row else None

    async def followed_feeds(self, guild_id: int) -> list[FollowedFeed]:
        """The feeds the guild follows, by title."""
        rows = await self.db.fetchall(
            "SELECT f.id, coalesce(f.title, f.name, f.url) AS title, f.kind FROM feeds f "
            "JOIN subscriptions s ON s.feed_id = f.id WHERE s.guild_id = ? ORDER BY title COLLATE NOCASE",
            (guild_id,),
        )
        return [FollowedFeed(row["id"], row["title"], row["kind"]) for row in rows]
