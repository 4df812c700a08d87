"""`/ask`'s tables (migration 0010): passages and their index, the rebuild queue, per-guild switches, the
daily question count and the answer cache.

Passages are rebuilt per item: triggers queue an item in `ask_pending` whenever its notes, transcript or
digest change, and `bot.ask.indexer` reads the queue, cuts the text (`bot.ask.passages`) and replaces the
item's passages here. Retrieval is scoped like `/search`: a guild sees the items of the feeds it follows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bot.store.base import Repo
from bot.timeutil import from_db, to_db, utcnow

if TYPE_CHECKING:
    from bot.ask.passages import NewPassage

PREFILTER = 4  # see `AskRepo.candidates`
_IN_GUILD = "i.feed_id IN (SELECT feed_id FROM subscriptions WHERE guild_id = ?)"


@dataclass(frozen=True, slots=True)
class ItemSources:
    """Everything an item's passages are cut from."""

    item_id: int
    notes: str
    transcript: str | None
    cues: str | None  # JSON, see `bot.digest.cues.cues_from_json`
    digest: str | None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A passage that matched a question, with the item it belongs to. `rank` is bm25: lower is better."""

    passage_id: int
    item_id: int
    episode_key: str
    source: str
    start_seconds: float | None
    text: str
    rank: float
    title: str
    link: str | None
    audio_url: str | None
    audio_type: str | None
    published_at: datetime | None
    feed_kind: str


@dataclass(frozen=True, slots=True)
class AskGuild:
    """A guild's `/ask` switches: on or off, and the channels it is limited to (empty: every channel)."""

    guild_id: int
    enabled: bool = True
    channels: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Filters:
    """What narrows the archive: the guild's feeds (None: every feed), one feed, a date range."""

    guild_id: int | None = None
    feed_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None

    def where(self) -> tuple[str, list[Any]]:
        clauses = ["i.duplicate_of IS NULL"]
        params: list[Any] = []
        if self.guild_id is not None:
            clauses.append(_IN_GUILD)
            params.append(self.guild_id)
        if self.feed_id is not None:
            clauses.append("i.feed_id = ?")
            params.append(self.feed_id)
        if self.since is not None:
            clauses.append("coalesce(i.published_at, i.first_seen_at) >= ?")
            params.append(to_db(self.since))
        if self.until is not None:
            clauses.append("coalesce(i.published_at, i.first_seen_at) < ?")
            params.append(to_db(self.until))
        return " AND ".join(clauses), params


class AskRepo(Repo):
    """Passages, their queue, guild switches, the daily count and the answer cache."""

    # -- passages ---------------------------------------------------------------------------------

    async def pending(self, limit: int) -> list[tuple[int, int]]:
        """Up to `limit` items whose passages must be rebuilt, as (item id, queue version)."""
        rows = await self.db.fetchall(
            "SELECT item_id, version FROM ask_pending ORDER BY item_id LIMIT ?", (limit,)
        )
        return [(int(row[0]), int(row[1])) for row in rows]

    async def pending_count(self) -> int:
        return int(await self.db.fetchval("SELECT count(*) FROM ask_pending") or 0)

    async def sources(self, item_ids: Sequence[int]) -> list[ItemSources]:
        """The notes, transcript (with cues) and newest digest text of each item that still exists."""
        marks = ",".join("?" * len(item_ids))
        rows = await self.db.fetchall(
            # The notes as members read them (publisher footers, sponsor lists and tracking cut), never raw.
            "SELECT i.id, coalesce(i.shown_text, i.summary_text) AS notes, t.text AS transcript, t.cues, "  # noqa: S608
            "(SELECT d.text FROM search_digest_text d WHERE d.episode_key = i.digest_key "
            "ORDER BY d.created_at DESC, d.digest_id DESC LIMIT 1) AS digest "
            "FROM items i LEFT JOIN search_transcripts t ON t.episode_key = i.digest_key "
            f"WHERE i.id IN ({marks})",
            list(item_ids),
        )
        return [
            ItemSources(row["id"], row["notes"] or "", row["transcript"], row["cues"], row["digest"])
            for row in rows
        ]

    async def replace(self, built: dict[int, list[NewPassage]], done: Sequence[tuple[int, int]]) -> None:
        """Replace the passages of each item in `built` and take the `done` (item, version) pairs off the
        queue; an item changed meanwhile (a higher version) stays queued."""
        async with self.db.transaction() as tx:
            for item_id, passages in built.items():
                await tx.execute("DELETE FROM ask_passages WHERE item_id = ?", (item_id,))
                await tx.executemany(
                    "INSERT INTO ask_passages (item_id, source, seq, start_seconds, text) "
                    "VALUES (?, ?, ?, ?, ?)",
                    ((item_id, p.source, p.seq, p.start_seconds, p.text) for p in passages),
                )
            await tx.executemany("DELETE FROM ask_pending WHERE item_id = ? AND version = ?", done)

    async def candidates(self, match: str, filters: Filters, *, limit: int) -> list[Candidate]:
        """The passages matching the FTS5 expression `match` within `filters`, best bm25 first.

        The best `PREFILTER × limit` matches are ranked first and only those joined to their items and
        filtered, which keeps a common word over a large archive cheap; when filtering leaves too few of
        them (a guild that follows a small feed, a narrow date range), every match is ranked instead."""
        rows = await self._candidates(match, filters, limit, limit * PREFILTER)
        if len(rows) < limit and rows and rows[0]["hits"] >= limit * PREFILTER:
            rows = await self._candidates(match, filters, limit, None)
        return [
            Candidate(
                passage_id=row["id"],
                item_id=row["item_id"],
                episode_key=row["digest_key"],
                source=row["source"],
                start_seconds=row["start_seconds"],
                text=row["text"],
                rank=float(row["rank"]),
                title=row["title"],
                link=row["link"],
                audio_url=row["audio_url"],
                audio_type=row["audio_type"],
                published_at=from_db(row["published"]),
                feed_kind=row["kind"],
            )
            for row in rows
        ]

    async def _candidates(self, match: str, filters: Filters, limit: int, first: int | None) -> list[Any]:
        where, params = filters.where()
        ranked = "ORDER BY rank LIMIT ?" if first is not None else ""
        return await self.db.fetchall(
            "WITH hits AS MATERIALIZED (SELECT rowid, bm25(ask_fts) AS rank FROM ask_fts "  # noqa: S608
            f"WHERE ask_fts MATCH ? {ranked}) "
            "SELECT p.id, p.item_id, p.source, p.start_seconds, p.text, hits.rank, i.digest_key, i.title, "
            "i.link, i.audio_url, i.audio_type, coalesce(i.published_at, i.first_seen_at) AS published, "
            "f.kind, (SELECT count(*) FROM hits) AS hits FROM hits JOIN ask_passages p ON p.id = hits.rowid "
            f"JOIN items i ON i.id = p.item_id JOIN feeds f ON f.id = i.feed_id WHERE {where} "
            "ORDER BY hits.rank LIMIT ?",
            [match, *([first] if first is not None else []), *params, limit],
        )

    async def archive_size(self, filters: Filters) -> int:
        """How many episodes and issues the filters leave to search."""
        where, params = filters.where()
        value = await self.db.fetchval(f"SELECT count(*) FROM items i WHERE {where}", params)  # noqa: S608
        return int(value or 0)

    # -- guild switches -----------------------------------------------------------------------------

    async def guild(self, guild_id: int) -> AskGuild:
        row = await self.db.fetchone(
            "SELECT enabled, channels FROM ask_guilds WHERE guild_id = ?", (guild_id,)
        )
        if row is None:
            return AskGuild(guild_id)
        channels = tuple(int(c) for c in json.loads(row["channels"]) if isinstance(c, int))
        return AskGuild(guild_id, bool(row["enabled"]), channels)

    async def set_enabled(self, guild_id: int, enabled: bool) -> None:
        await self.db.execute(
            "INSERT INTO ask_guilds (guild_id, enabled, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (guild_id) DO UPDATE SET enabled = excluded.enabled, "
            "updated_at = excluded.updated_at",
            (guild_id, int(enabled), to_db(utcnow())),
        )

    async def set_channels(self, guild_id: int, channels: Sequence[int]) -> None:
        await self.db.execute(
            "INSERT INTO ask_guilds (guild_id, channels, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (guild_id) DO UPDATE SET channels = excluded.channels, "
            "updated_at = excluded.updated_at",
            (guild_id, json.dumps(sorted(set(channels))), to_db(utcnow())),
        )

    # -- the daily cap --------------------------------------------------------------------------------

    async def take_question(self, guild_id: int, cap: int, day: date | None = None) -> bool:
        """Count one question against the guild's cap for the UTC day; False (nothing counted) when full."""
        day_text = (day or utcnow().date()).isoformat()
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT questions FROM ask_daily WHERE guild_id = ? AND day = ?", (guild_id, day_text)
            )
            if row is not None and int(row[0]) >= cap:
                return False
            await tx.execute(
                "INSERT INTO ask_daily (guild_id, day, questions) VALUES (?, ?, 1) "
                "ON CONFLICT (guild_id, day) DO UPDATE SET questions = questions + 1",
                (guild_id, day_text),
            )
        return True

    async def questions_on(self, guild_id: int, day: date | None = None) -> int:
        value = await self.db.fetchval(
            "SELECT questions FROM ask_daily WHERE guild_id = ? AND day = ?",
            (guild_id, (day or utcnow().date()).isoformat()),
        )
        return int(value or 0)

    # -- answers -------------------------------------------------------------------------------------

    async def cached(self, cache_key: str) -> tuple[int, dict[str, Any]] | None:
        row = await self.db.fetchone("SELECT id, data FROM ask_answers WHERE cache_key = ?", (cache_key,))
        return (int(row["id"]), json.loads(row["data"])) if row else None

    async def save_answer(
        self, cache_key: str, guild_id: int | None, question: str, data: dict[str, Any]
    ) -> int:
        """Store an answer under its cache key (replacing an older one); returns its id."""
        await self.db.execute(
            "INSERT INTO ask_answers (cache_key, guild_id, question, data, created_at) "
            "VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (cache_key) DO UPDATE SET data = excluded.data, created_at = excluded.created_at",
            (cache_key, guild_id, question, json.dumps(data, ensure_ascii=False), to_db(utcnow())),
        )
        return int(await self.db.fetchval("SELECT id FROM ask_answers WHERE cache_key = ?", (cache_key,)))

    async def answer(self, answer_id: int) -> tuple[int | None, dict[str, Any]] | None:
        """A stored answer (its guild and data), for "Post to channel"."""
        row = await self.db.fetchone("SELECT guild_id, data FROM ask_answers WHERE id = ?", (answer_id,))
        return (row["guild_id"], json.loads(row["data"])) if row else None

    async def compact(self, pages: int = 500) -> None:
        """Merge the passage index's segments, a bounded amount of work (see `SearchRepo.compact`): deleted
        passages leave entries in older segments until merged."""
        async with self.db.transaction() as tx:
            await tx.execute("INSERT INTO ask_fts (ask_fts, rank) VALUES ('merge', ?)", (-pages,))

    async def prune_answers(self, before: datetime) -> int:
        """Forget answers older than `before` (the cache and the post buttons under them)."""
        return await self.db.execute("DELETE FROM ask_answers WHERE created_at < ?", (to_db(before),))
