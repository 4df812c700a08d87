"""Full-text search and title autocomplete over episodes and issues.

The index is `search_fts` (FTS5, one row per item, rowid = `items.id`, columns title, notes, transcript,
digest), kept in sync with `items` and the digests by triggers in migration 0007, so nothing here writes it
except `rebuild()`, the repair path. Title autocomplete is answered in memory (`bot.search.titles`); what it
reads here are the titles of a feed and the per-feed versions migration 0008 keeps.

Every query is scoped to a guild: only items of the feeds it follows (`subscriptions`) are seen,
so one guild never sees the items of a feed only another guild follows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.digest.cues import Cue, cues_to_json
from bot.store import search_pg
from bot.store.base import Repo
from bot.timeutil import from_db, to_db, utcnow

if TYPE_CHECKING:
    from bot.store.db import Transaction

# Markers FTS5 puts around matched words in snippets; control characters never found in feed text
# after cleaning, turned into Markdown bold by the renderer.
HIT_START = "\x02"
HIT_END = "\x03"
SNIPPET_TOKENS = 24

# bm25 weights for title, notes, transcript, digest: a match in a title says most about an item.
_BM25 = "bm25(search_fts, 8.0, 2.0, 1.0, 3.0)"

# The items a guild may see: those of the feeds it follows, without duplicates of other items.
_IN_GUILD = "i.duplicate_of IS NULL AND i.feed_id IN (SELECT feed_id FROM subscriptions WHERE guild_id = ?)"

# Which column each snippet comes from: the first that matched, in this order of interest.
SNIPPET_COLUMNS = {"title": 0, "notes": 1, "transcript": 2, "digest": 3}


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One ranked result: the item and a snippet per column (empty when the column did not match)."""

    item_id: int
    feed_id: int
    title: str
    link: str | None
    published_at: datetime | None
    rank: float
    title_snippet: str
    notes_snippet: str
    transcript_snippet: str
    digest_snippet: str


class SearchRepo(Repo):
    """Ranked full-text queries and title autocomplete, scoped to a guild's feeds."""

    async def count(self, match: str, guild_id: int) -> int:
        """How many items within the feeds match the FTS5 expression `match`."""
        if self.postgresql:
            return int(await self.db.fetchval(search_pg.COUNT, (search_pg.to_tsquery_text(match), guild_id)))
        value = await self.db.fetchval(
            "SELECT count(*) FROM search_fts JOIN items i ON i.id = search_fts.rowid "  # noqa: S608
            f"WHERE search_fts MATCH ? AND {_IN_GUILD}",
            (match, guild_id),
        )
        return int(value or 0)

    async def search(
        self, match: str, guild_id: int, *, limit: int, offset: int = 0
    ) -> tuple[list[SearchHit], int]:
        """One page of items matching `match`, best first (bm25, newer first on ties), with snippets,
        and the number of matches in all (0 when `offset` is past the end: call `count` then).

        Two steps in one statement: rank every match and keep the page (the total comes along as a window
        count), then make snippets for those few rows only; snippets are the expensive part.
        """
        if self.postgresql:
            options = search_pg.headline_options(HIT_START, HIT_END, SNIPPET_TOKENS)
            rows = await self.db.fetchall(
                search_pg.search_sql(SNIPPET_COLUMNS),
                (
                    search_pg.to_tsquery_text(match),
                    guild_id,
                    limit,
                    offset,
                    *[options] * len(SNIPPET_COLUMNS),
                ),
            )
            return self._hits(rows)
        snippets = ", ".join(
            f"snippet(search_fts, {column}, '{HIT_START}', '{HIT_END}', '…', {SNIPPET_TOKENS}) AS s{column}"
            for column in SNIPPET_COLUMNS.values()
        )
        rows = await self.db.fetchall(
            "WITH ranked AS MATERIALIZED ("  # noqa: S608
            f"SELECT i.id, i.feed_id, i.title, i.link, i.published_at, {_BM25} AS rank "
            "FROM search_fts JOIN items i ON i.id = search_fts.rowid "
            f"WHERE search_fts MATCH ? AND {_IN_GUILD}), "
            "page AS (SELECT ranked.*, count(*) OVER () AS total FROM ranked "
            "ORDER BY rank, published_at DESC, id DESC LIMIT ? OFFSET ?) "
            f"SELECT page.*, {snippets} FROM page JOIN search_fts ON search_fts.rowid = page.id "
            "WHERE search_fts MATCH ? ORDER BY page.rank, page.published_at DESC, page.id DESC",
            (match, guild_id, limit, offset, match),
        )
        return self._hits(rows)

    @staticmethod
    def _hits(rows: list[Any]) -> tuple[list[SearchHit], int]:
        hits = [
            SearchHit(
                item_id=row["id"],
                feed_id=row["feed_id"],
                title=row["title"],
                link=row["link"],
                published_at=from_db(row["published_at"]),
                rank=float(row["rank"]),
                title_snippet=row["s0"] or "",
                notes_snippet=row["s1"] or "",
                transcript_snippet=row["s2"] or "",
                digest_snippet=row["s3"] or "",
            )
            for row in rows
        ]
        return hits, int(rows[0]["total"]) if rows else 0

    async def title_versions(self, guild_id: int) -> list[tuple[int, int]]:
        """The feeds the guild follows, each with the version of its titles (0 before it has any).

        Asked on every autocomplete keystroke, so it is a `peek`: two indexed lookups, answered without a
        trip to the database thread."""
        rows = await self.db.peek(
            "SELECT s.feed_id, coalesce(v.version, 0) FROM subscriptions s "
            "LEFT JOIN title_versions v ON v.feed_id = s.feed_id WHERE s.guild_id = ? ORDER BY s.feed_id",
            (guild_id,),
        )
        return [(int(row[0]), int(row[1])) for row in rows]

    async def feed_titles(self, feed_id: int) -> tuple[int, list[tuple[int, str, int | None]]]:
        """A feed's titles version and every title autocomplete offers from it at that version, as (item id,
        title, publication time in Unix seconds or first seen when the feed gave none). Duplicates of other
        items are left out. Read in one snapshot, so the titles are exactly those of the version."""
        titles = (
            search_pg.FEED_TITLES
            if self.postgresql
            else "SELECT id, title, CAST(strftime('%s', coalesce(published_at, first_seen_at)) AS INTEGER) "
            "FROM items WHERE feed_id = ? AND duplicate_of IS NULL"
        )
        async with self.db.snapshot() as tx:
            version = await tx.fetchone("SELECT version FROM title_versions WHERE feed_id = ?", (feed_id,))
            rows = await tx.fetchall(titles, (feed_id,))
        return (int(version[0]) if version else 0), [(int(row[0]), str(row[1]), row[2]) for row in rows]

    async def store_transcript(
        self, episode_key: str, text: str, source_url: str | None = None, cues: Sequence[Cue] = ()
    ) -> None:
        """Make an episode's cleaned transcript searchable (replacing an earlier one); the index follows.

        `cues` are its timings when it had any (`bot.digest.cues`), kept for `/ask` to cite the moment."""
        await self.db.execute(
            "INSERT INTO search_transcripts (episode_key, text, source_url, updated_at, cues) "
            "VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (episode_key) DO UPDATE SET text = excluded.text, source_url = excluded.source_url, "
            "updated_at = excluded.updated_at, cues = excluded.cues",
            (episode_key, text, source_url, to_db(utcnow()), cues_to_json(list(cues)) if cues else None),
        )

    async def compact(self, pages: int = 500) -> None:
        """Merge the full-text index's segments, a bounded amount of work per call (about `pages` pages).

        Every indexed change adds a small b-tree segment, and a deleted item leaves its entries behind in
        the older ones until they are merged. FTS5 merges segments of the same level on its own; a merge
        with a negative page count works like an incremental 'optimize', taking segments of every level
        (about `pages` pages of work per call), which is what drops the deleted entries: under retention
        the database stops growing (`tests/reliability/test_sqlite_growth.py`). The maintenance job calls
        this each run.
        """
        if self.postgresql:  # the GIN index's pending list is its unmerged part; vacuum does the rest
            await self.db.fetchval("SELECT gin_clean_pending_list('search_fts_document')")
            return
        async with self.db.transaction() as tx:
            await tx.execute("INSERT INTO search_fts (search_fts, rank) VALUES ('merge', ?)", (-pages,))

    async def rebuild(self) -> int:
        """Rebuild the index from the stored items, transcripts and digests; returns the rows indexed."""
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM search_fts")
            if self.postgresql:
                await tx.execute(search_pg.REBUILD)
            else:
                await self._rebuild_fts5(tx)
            row = await tx.fetchone("SELECT count(*) FROM search_fts")
        return int(row[0]) if row else 0

    @staticmethod
    async def _rebuild_fts5(tx: Transaction) -> None:
        await tx.execute(
            "INSERT INTO search_fts (rowid, title, notes, transcript, digest) "
            "SELECT i.id, i.title, coalesce(i.shown_text, i.summary_text), "
            "coalesce((SELECT text FROM search_transcripts t "
            "WHERE t.episode_key = i.digest_key), ''), "
            "coalesce((SELECT text FROM search_digest_text d "
            "WHERE d.episode_key = i.digest_key "
            "ORDER BY d.created_at DESC, d.digest_id DESC LIMIT 1), '') FROM items i"
        )
