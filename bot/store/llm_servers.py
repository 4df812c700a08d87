"""What the bot learned about each LLM server and model, and how its LLM digests went."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.store.base import Repo
from bot.timeutil import from_db, to_db, utcnow

#: Outcomes older than this are pruned as new ones arrive (the status command reads seven days).
EVENTS_KEPT = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class ServerRecord:
    base_url: str
    model: str
    context_tokens: int | None
    context_source: str | None
    response_mode: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class DigestOutcomes:
    """LLM digest attempts since a time: how many, how many made it, requests they sent."""

    attempts: int
    succeeded: int
    requests: int

    @property
    def rate(self) -> float | None:
        return self.succeeded / self.attempts if self.attempts else None


@dataclass(frozen=True, slots=True)
class FailureCount:
    """Failed requests of one cause since a time, with the latest one's time and detail."""

    cause: str
    count: int
    last_at: datetime
    last_detail: str


class LLMServerRepo(Repo):
    """The `llm_servers` profiles and the `llm_events` outcome log."""

    async def get(self, base_url: str, model: str) -> ServerRecord | None:
        row = await self.db.fetchone(
            "SELECT base_url, model, context_tokens, context_source, response_mode, updated_at "
            "FROM llm_servers WHERE base_url = ? AND model = ?",
            (base_url, model),
        )
        if row is None:
            return None
        return ServerRecord(
            row["base_url"],
            row["model"],
            row["context_tokens"],
            row["context_source"],
            row["response_mode"],
            from_db(row["updated_at"]) or utcnow(),
        )

    async def save(
        self,
        base_url: str,
        model: str,
        *,
        context_tokens: int | None,
        context_source: str | None,
        response_mode: str | None,
    ) -> None:
        """Remember (or update) what was learned about this server and model."""
        await self.db.execute(
            "INSERT INTO llm_servers (base_url, model, context_tokens, context_source, response_mode, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (base_url, model) DO UPDATE SET "
            "context_tokens = excluded.context_tokens, context_source = excluded.context_source, "
            "response_mode = excluded.response_mode, updated_at = excluded.updated_at",
            (base_url, model, context_tokens, context_source, response_mode, to_db(utcnow())),
        )

    async def add_digest(self, *, ok: bool, cause: str | None, detail: str, requests: int) -> None:
        """One LLM digest attempt: made by the LLM (`ok`) or fallen back, and its requests."""
        now = utcnow()
        await self.db.execute(
            "INSERT INTO llm_events (at, kind, ok, cause, detail, requests) VALUES (?, 'digest', ?, ?, ?, ?)",
            (to_db(now), int(ok), cause, detail, requests),
        )
        await self.db.execute("DELETE FROM llm_events WHERE at < ?", (to_db(now - EVENTS_KEPT),))

    async def add_failures(self, failures: list[tuple[str, str]]) -> None:
        """Failed requests, each with its cause and a short detail (retried ones included)."""
        now = to_db(utcnow())
        for cause, detail in failures:
            await self.db.execute(
                "INSERT INTO llm_events (at, kind, cause, detail) VALUES (?, 'failure', ?, ?)",
                (now, cause, detail[:300]),
            )

    async def outcomes_since(self, since: datetime) -> DigestOutcomes:
        row = await self.db.fetchone(
            "SELECT COUNT(*), COALESCE(SUM(ok), 0), COALESCE(SUM(requests), 0) FROM llm_events "
            "WHERE kind = 'digest' AND at >= ?",
            (to_db(since),),
        )
        values = tuple(row) if row is not None else (0, 0, 0)
        return DigestOutcomes(int(values[0]), int(values[1]), int(values[2]))

    async def failures_since(self, since: datetime) -> list[FailureCount]:
        """Failed requests per cause since `since`, most frequent first."""
        rows = await self.db.fetchall(
            "SELECT cause, COUNT(*) AS n, MAX(at) AS last_at, "
            "(SELECT detail FROM llm_events AS e2 WHERE e2.kind = 'failure' AND e2.cause = e.cause "
            " ORDER BY e2.at DESC, e2.id DESC LIMIT 1) AS last_detail "
            "FROM llm_events AS e WHERE kind = 'failure' AND at >= ? GROUP BY cause ORDER BY n DESC, cause",
            (to_db(since),),
        )
        return [
            FailureCount(r["cause"], r["n"], from_db(r["last_at"]) or utcnow(), r["last_detail"] or "")
            for r in rows
        ]
