"""Digests, their cache keys, and LLM token use per UTC day."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from bot.digest.models import Digest
from bot.store.base import Repo
from bot.timeutil import from_db, to_db, utcnow


@dataclass(frozen=True, slots=True)
class CacheKey:
    """What makes two digests the same: nothing is summarized twice for an identical key."""

    episode_key: str
    source_hash: str
    backend: str
    model: str
    prompt_version: str


@dataclass(frozen=True, slots=True)
class DigestRow:
    id: int
    episode_key: str
    title: str
    source_hash: str
    digest: Digest
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TokenUsage:
    """LLM tokens spent over a period (one UTC day, or since a day)."""

    since: date
    tokens_in: int
    tokens_out: int
    requests: int
    fallbacks: int

    @property
    def total(self) -> int:
        return self.tokens_in + self.tokens_out


@dataclass(frozen=True, slots=True)
class RecentDigest:
    episode_key: str
    title: str
    created_at: datetime


def _row(r: aiosqlite.Row) -> DigestRow:
    return DigestRow(
        id=r["id"],
        episode_key=r["episode_key"],
        title=r["title"],
        source_hash=r["source_hash"],
        digest=Digest.from_dict(json.loads(r["data"])),
        created_at=from_db(r["created_at"]) or utcnow(),
    )


class DigestRepo(Repo):
    """The digest cache and the LLM token ledger."""

    async def get_cached(self, key: CacheKey) -> DigestRow | None:
        """The digest stored under exactly this cache key, if any."""
        row = await self.db.fetchone(
            "SELECT id, episode_key, title, source_hash, data, created_at FROM digests "
            "WHERE episode_key = ? AND source_hash = ? AND backend = ? "
            "AND model = ? AND prompt_version = ?",
            (key.episode_key, key.source_hash, key.backend, key.model, key.prompt_version),
        )
        return _row(row) if row else None

    async def latest(self, episode_key: str) -> DigestRow | None:
        """The newest digest of an episode, whatever its backend (what `/digest` shows)."""
        row = await self.db.fetchone(
            "SELECT id, episode_key, title, source_hash, data, created_at FROM digests "
            "WHERE episode_key = ? ORDER BY created_at DESC, id DESC LIMIT 1",
            (episode_key,),
        )
        return _row(row) if row else None

    async def save(self, key: CacheKey, title: str, digest: Digest) -> int:
        """Store (or replace, on regenerate) the digest under its cache key; returns its row id."""
        return await self.db.insert(
            "INSERT INTO digests (episode_key, title, source_hash, source_kind, backend, model, "
            "prompt_version, data, tokens_in, tokens_out, chunks, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (episode_key, source_hash, backend, model, prompt_version) DO UPDATE SET "
            "title = excluded.title, source_kind = excluded.source_kind, data = excluded.data, "
            "tokens_in = excluded.tokens_in, tokens_out = excluded.tokens_out, chunks = excluded.chunks, "
            "created_at = excluded.created_at",
            (
                key.episode_key,
                title,
                key.source_hash,
                digest.source,
                key.backend,
                key.model,
                key.prompt_version,
                json.dumps(digest.to_dict(), ensure_ascii=False),
                digest.tokens_in,
                digest.tokens_out,
                digest.chunks,
                to_db(utcnow()),
            ),
        )

    async def recent(self, query: str = "", limit: int = 25) -> list[RecentDigest]:
        """Episodes with a digest, newest first, whose title or key contains `query` (for autocomplete)."""
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = await self.db.fetchall(
            "SELECT episode_key, MAX(title) AS title, MAX(created_at) AS created_at FROM digests "
            "WHERE title LIKE ? ESCAPE '\\' OR episode_key LIKE ? ESCAPE '\\' "
            "GROUP BY episode_key ORDER BY created_at DESC LIMIT ?",
            (pattern, pattern, limit),
        )
        return [
            RecentDigest(r["episode_key"], r["title"], from_db(r["created_at"]) or utcnow()) for r in rows
        ]

    async def add_usage(
        self, tokens_in: int, tokens_out: int, *, requests: int = 1, day: date | None = None
    ) -> None:
        """Add LLM tokens to today's (UTC) ledger; called after every request, successful or not."""
        await self.db.execute(
            "INSERT INTO llm_usage_daily (day, tokens_in, tokens_out, requests) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (day) DO UPDATE SET tokens_in = llm_usage_daily.tokens_in + excluded.tokens_in, "
            "tokens_out = llm_usage_daily.tokens_out + excluded.tokens_out, "
            "requests = llm_usage_daily.requests + excluded.requests",
            ((day or utcnow().date()).isoformat(), tokens_in, tokens_out, requests),
        )

    async def add_fallback(self, *, day: date | None = None) -> None:
        """Count one digest that fell back to the offline summarizer (failure or budget)."""
        await self.db.execute(
            "INSERT INTO llm_usage_daily (day, fallbacks) VALUES (?, 1) "
            "ON CONFLICT (day) DO UPDATE SET fallbacks = llm_usage_daily.fallbacks + 1",
            ((day or utcnow().date()).isoformat(),),
        )

    async def usage_since(self, since: date) -> TokenUsage:
        """Tokens, requests and fallbacks from the UTC day `since` up to now, inclusive."""
        row = await self.db.fetchone(
            "SELECT COALESCE(SUM(tokens_in), 0), COALESCE(SUM(tokens_out), 0), COALESCE(SUM(requests), 0), "
            "COALESCE(SUM(fallbacks), 0) FROM llm_usage_daily WHERE day >= ?",
            (since.isoformat(),),
        )
        values = tuple(row) if row is not None else (0, 0, 0, 0)
        return TokenUsage(since, int(values[0]), int(values[1]), int(values[2]), int(values[3]))

    async def usage_today(self) -> TokenUsage:
        """Today's (UTC) LLM use: what the daily budget is checked against."""
        return await self.usage_since(utcnow().date())
