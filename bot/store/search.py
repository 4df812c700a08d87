"""Full-text search and title autocomplete over episodes and issues (issue 9).

The index is `search_fts` (FTS5, one row per item, rowid = `items.id`, columns title, notes, transcript,
digest) plus `title_words` and `title_trigram` (titles only, keyed by recency, for autocomplete).
Both are kept in sync with `items` and the digests by triggers in migration 0007, so nothing here writes
them except `rebuild()`, the repair path.

Every query is scoped to a guild: only items of the feeds it follows (`subscriptions`, issue 5) are seen,
so one guild never sees the items of a feed only another guild follows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.store.base import Repo
from bot.timeutil import from_db, to_db, utcnow

# Markers FTS5 puts around matched words in snippets; control characters never found in feed text
# after cleaning, turned into Markdown bold by the renderer.
HIT_START = "\x02"
HIT_END = "\x03"
SNIPPET_TOKENS = 24

# bm25 weights for title, notes, transcript, digest: a match in a title says most about an item.
_BM25 = "bm25(search_fts, 8.0, 2.0, 1.0, 3.0)"

# The items a guild may see: those of the feeds it follows (issue 5), without duplicates of other items.
_IN_GUILD = "i.duplicate_of IS NULL AND i.feed_id IN (SELECT feed_id FROM subscriptions WHERE guild_id = ?)"

# Title autocomplete indexes use rowid = (publication seconds << 26) | item id: newest first for free.
RECENCY_SHIFT = 26
_RECENCY_KEY = (
    "(max(0, coalesce(CAST(strftime('%s', coalesce(published_at, first_seen_at)) AS INTEGER), 0)) "
    f"<< {RECENCY_SHIFT}) | id"
)
_TITLE_TABLES = {"title_words": "title_words", "title_trigram": "title_trigram"}

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


@dataclass(frozen=True, slots=True)
class TitleChoice:
    """An autocomplete candidate: the item, its title, and how well the title matched (0 = best)."""

    item_id: int
    title: str
    published_at: datetime | None
    match_class: int


def _choice(row: sqlite3.Row, match_class: int) -> TitleChoice:
    seconds = row["seconds"]
    return TitleChoice(
        item_id=row["item_id"],
        title=row["title"],
        published_at=datetime.fromtimestamp(seconds, UTC) if seconds else None,
        match_class=match_class,
    )


def title_matches_sql(
    tiers: Sequence[tuple[str, str, int]], guild_id: int, limit: int
) -> tuple[str, list[object]]:
    """The one statement behind `SearchRepo.title_matches` (public so the benchmark runs exactly it)."""
    parts: list[str] = []
    params: list[object] = []
    for table, match, match_class in tiers:
        name = _TITLE_TABLES[table]
        parts.append(
            f"SELECT * FROM (SELECT t.item_id, t.title, t.rowid AS rk, {int(match_class)} AS klass "  # noqa: S608
            f"FROM {name} t WHERE {name} MATCH ? "
            "AND t.feed_id IN (SELECT feed_id FROM subscriptions WHERE guild_id = ?) "
            "ORDER BY t.rowid DESC LIMIT ?)"
        )
        params += [match, guild_id, limit]
    sql = (
        f"SELECT item_id, title, rk >> {RECENCY_SHIFT} AS seconds, min(klass) AS klass "  # noqa: S608
        f"FROM ({' UNION ALL '.join(parts)}) GROUP BY item_id ORDER BY klass, max(rk) DESC LIMIT ?"
    )
    return sql, [*params, limit]


class SearchRepo(Repo):
    """Ranked full-text queries and title autocomplete, scoped to a guild's feeds."""

    async def count(self, match: str, guild_id: int) -> int:
        """How many items within the feeds match the FTS5 expression `match`."""
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

    async def title_matches(
        self, tiers: Sequence[tuple[str, str, int]], guild_id: int, *, limit: int
    ) -> list[TitleChoice]:
        """Autocomplete in one statement: for each tier `(table, match, class)` its newest matches (read from
        the recency-keyed index and cut off early), merged with each item in its best class, best first.

        Reading `limit` rows per tier is enough: the word tiers are nested (a prefix match is a word-start
        match, which is an all-words match), so a tier can only fall short of filling the list when every
        earlier match is already known, and the substring tier contains the word-start tier.
        """
        if not tiers:
            return []
        sql, params = title_matches_sql(tiers, guild_id, limit)
        rows = await self.db.fetchall(sql, params)
        return [_choice(row, row["klass"]) for row in rows]

    async def newest_titles(self, guild_id: int, *, limit: int) -> list[TitleChoice]:
        """The guild's newest items, for autocomplete before anything was typed."""
        rows = await self.db.fetchall(
            f"SELECT t.item_id, t.title, t.rowid >> {RECENCY_SHIFT} AS seconds FROM title_words t "  # noqa: S608
            "WHERE t.feed_id IN (SELECT feed_id FROM subscriptions WHERE guild_id = ?) "
            "ORDER BY t.rowid DESC LIMIT ?",
            (guild_id, limit),
        )
        return [_choice(row, 0) for row in rows]

    async def store_transcript(self, episode_key: str, text: str, source_url: str | None = None) -> None:
        """Make an episode's cleaned transcript searchable (replacing an earlier one); the index follows."""
        await self.db.execute(
            "INSERT INTO search_transcripts (episode_key, text, source_url, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (episode_key) DO UPDATE SET text = excluded.text, source_url = excluded.source_url, "
            "updated_at = excluded.updated_at",
            (episode_key, text, source_url, to_db(utcnow())),
        )

    async def compact(self, pages: int = 500) -> None:
        """Merge the full-text indexes' small segments, a bounded amount of work per call.

        Every indexed change adds a small b-tree segment; FTS5 merges them lazily, so an index that is
        updated a little at a time keeps some slack. The maintenance job calls this each run.
        """
        async with self.db.transaction() as tx:
            for table in ("search_fts", "title_words", "title_trigram"):
                await tx.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('merge', ?)", (pages,))  # noqa: S608

    async def rebuild(self) -> int:
        """Rebuild both indexes from the stored items, transcripts and digests; returns the rows indexed."""
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM search_fts")
            await tx.execute("DELETE FROM title_words")
            await tx.execute("DELETE FROM title_trigram")
            await tx.execute(
                "INSERT INTO search_fts (rowid, title, notes, transcript, digest) "
                "SELECT i.id, i.title, i.summary_text, "
                "coalesce((SELECT text FROM search_transcripts t "
                "WHERE t.episode_key = i.digest_key), ''), "
                "coalesce((SELECT text FROM search_digest_text d "
                "WHERE d.episode_key = i.digest_key "
                "ORDER BY d.created_at DESC, d.digest_id DESC LIMIT 1), '') FROM items i"
            )
            await tx.execute(
                "INSERT INTO title_words (rowid, title, feed_id, item_id) "  # noqa: S608
                f"SELECT {_RECENCY_KEY}, title, feed_id, id FROM items WHERE duplicate_of IS NULL"
            )
            await tx.execute(
                "INSERT INTO title_trigram (rowid, title, feed_id, item_id) "
                "SELECT rowid, title, feed_id, item_id FROM title_words"
            )
            row = await tx.fetchone("SELECT count(*) FROM search_fts")
        return int(row[0]) if row else 0
