"""`/ask` orchestration: who may ask, retrieval, the cache, the LLM within the daily budget, the fallback.

`admit` enforces the per-guild switches (`/admin ask …`), the per-member cooldown and the per-guild daily
cap; `answer` answers. An identical question over an unchanged archive is served from the cache for 0
tokens (the cache key holds the retrieved passages, so a new episode that matches changes it). The LLM is
used when configured and the day's token budget (shared with digests) allows; any failure or an answer that
fails `bot.ask.llm.check` gives the extractive answer, with the reason recorded.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from bot.ask import indexer
from bot.ask.extractive import extractive_answer
from bot.ask.llm import MAX_OUTPUT_TOKENS, PROMPT_VERSION, SYSTEM_PROMPT, AskLLM, AskLLMFailure, check
from bot.ask.llm import estimate_cost as llm_cost
from bot.ask.models import Answer
from bot.ask.retrieve import Retrieval, fit, retrieve
from bot.digest.chunking import estimate_tokens
from bot.digest.server import DEFAULT_CONTEXT_TOKENS, public_url
from bot.store.ask import AskGuild, AskRepo
from bot.store.ask import Filters as Filters  # the query's narrowing, as the commands state it
from bot.store.llm_servers import LLMServerRepo
from bot.timeutil import utcnow

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from bot.settings import Settings
    from bot.store.digests import DigestRepo

log = logging.getLogger(__name__)

AskBackendChoice = Literal["auto", "llm", "offline"]
Progress = Callable[[str], Awaitable[None]]
DRAIN_BEFORE_ANSWER_S = 1.0
ANSWERS_KEPT = timedelta(days=30)
COMPACT_EVERY_S = 3600.0
OFFLINE_VERSION = "1"


class AskRefused(Exception):
    """The question is not taken (switched off, wrong channel, cooldown, cap); the message says why."""


class AskError(Exception):
    """The question cannot be answered as asked (e.g. the LLM backend demanded but none configured)."""


@dataclass(frozen=True, slots=True)
class AskLimits:
    cooldown_seconds: float = 30.0
    daily_cap: int = 200
    max_passages: int = 6


class AskService:
    """Answers questions from the archive. One per bot."""

    def __init__(
        self,
        repo: AskRepo,
        usage: DigestRepo,
        *,
        llm: AsyncOpenAI | None = None,
        model: str = "gpt-4o-mini",
        context_tokens: int | None = None,
        daily_token_budget: int = 200_000,
        limits: AskLimits | None = None,
    ) -> None:
        self.repo = repo
        self.usage = usage
        self.llm = AskLLM(llm, model) if llm is not None else None
        self.model = model
        self.context_tokens = context_tokens
        self.daily_token_budget = daily_token_budget
        self.limits = limits or AskLimits()
        self._last_asked: dict[tuple[int, int], float] = {}
        self._last_compact: float | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, repo: AskRepo, usage: DigestRepo, llm: AsyncOpenAI | None
    ) -> AskService:
        return cls(
            repo,
            usage,
            llm=llm,
            model=settings.openai_model,
            context_tokens=settings.llm_context_tokens,
            daily_token_budget=settings.llm_daily_token_budget,
            limits=AskLimits(
                cooldown_seconds=settings.ask_cooldown_seconds,
                daily_cap=settings.ask_daily_cap,
                max_passages=settings.ask_max_passages,
            ),
        )

    # -- who may ask ------------------------------------------------------------------------------

    async def admit(self, guild_id: int, user_id: int, channel_id: int | None) -> None:
        """Take one question from a member, or raise `AskRefused` saying why not (nothing is counted)."""
        config = await self.repo.guild(guild_id)
        if not config.enabled:
            raise AskRefused("The moderators of this server have turned `/ask` off.")
        if config.channels and channel_id not in config.channels:
            where = ", ".join(f"<#{channel}>" for channel in config.channels[:10])
            raise AskRefused(f"`/ask` works only in {where} here.")
        now = time.monotonic()
        last = self._last_asked.get((guild_id, user_id))
        if last is not None and now - last < self.limits.cooldown_seconds:
            wait = int(self.limits.cooldown_seconds - (now - last)) + 1
            raise AskRefused(f"One question at a time: you can ask again in {wait} s.")
        if not await self.repo.take_question(guild_id, self.limits.daily_cap):
            raise AskRefused(
                f"This server has asked its {self.limits.daily_cap} questions for today (UTC); "
                "`/ask` opens again at midnight UTC. `/search` still works."
            )
        self._last_asked[(guild_id, user_id)] = now

    # -- answering --------------------------------------------------------------------------------

    async def answer(
        self,
        question: str,
        filters: Filters,
        *,
        backend: AskBackendChoice = "auto",
        progress: Progress | None = None,
    ) -> Answer:
        """The answer to `question` from the archive within `filters` (raises `EmptyQuestion`, `AskError`)."""
        if backend == "llm" and self.llm is None:
            raise AskError("no LLM is configured (set OPENAI_BASE_URL and/or OPENAI_API_KEY)")
        await indexer.drain(self.repo, seconds=DRAIN_BEFORE_ANSWER_S)
        searched = await self.repo.archive_size(filters)
        if progress is not None:
            await progress(f"Searching {searched:,} episode{'s' if searched != 1 else ''}…")
        retrieval = await retrieve(self.repo, question, filters, limit=max(8, self.limits.max_passages))
        use_llm = backend != "offline" and self.llm is not None and bool(retrieval.passages)
        key = self._cache_key(question, filters, retrieval, use_llm)
        cached = await self.repo.cached(key)
        if cached is not None:
            answer = Answer.from_json(cached[1])
            answer.cached, answer.answer_id, answer.searched = True, cached[0], searched
            log.info("ask: answered from the cache (%s)", answer.backend)
            return answer
        if use_llm:
            answer = await self._with_llm(retrieval, progress)
        else:
            answer = extractive_answer(retrieval)
        answer.searched = searched
        if answer.fallback_reason:  # not cached: the LLM may serve the same question later
            key = f"{key}:{secrets.token_hex(8)}"
        answer.answer_id = await self.repo.save_answer(key, filters.guild_id, question, answer.to_json())
        return answer

    async def _context(self) -> int:
        """The model's context: `LLM_CONTEXT_TOKENS` when set, else what the digests learned of this server
        and model (`llm_servers`), else the default the digests assume for a server that has not said."""
        if self.context_tokens:
            return self.context_tokens
        if self.llm is not None:
            known = await LLMServerRepo(self.usage.db).get(
                public_url(str(self.llm.client.base_url)), self.model
            )
            if known is not None and known.context_tokens:
                return known.context_tokens
        return DEFAULT_CONTEXT_TOKENS

    async def _with_llm(self, retrieval: Retrieval, progress: Progress | None) -> Answer:
        if self.llm is None:
            return extractive_answer(retrieval)
        overhead = estimate_tokens(SYSTEM_PROMPT) + MAX_OUTPUT_TOKENS + 300
        context = await self._context()
        passages = fit(retrieval.passages[: self.limits.max_passages], max(context - overhead, 256))
        estimate = llm_cost(retrieval.question, passages)
        spent = await self.usage.usage_today()
        if spent.total + estimate > self.daily_token_budget:
            reason = (
                f"daily LLM token budget reached ({spent.total:,} used of {self.daily_token_budget:,}; "
                f"this answer needs about {estimate:,})"
            )
            return extractive_answer(retrieval, fallback_reason=reason)
        if progress is not None:
            await progress("Writing the answer…")
        try:
            content, usage = await self.llm.answer(retrieval, passages)
            await self.usage.add_usage(usage.tokens_in, usage.tokens_out)
            answer = check(content, retrieval, passages)
        except AskLLMFailure as exc:
            log.warning("ask: the LLM answer was replaced by the extractive one: %s", exc.reason)
            return extractive_answer(retrieval, fallback_reason=exc.reason)
        answer.tokens = usage.tokens_in + usage.tokens_out
        return answer

    def _cache_key(self, question: str, filters: Filters, retrieval: Retrieval, use_llm: bool) -> str:
        identity = {
            "question": " ".join(question.casefold().split()),
            "guild": filters.guild_id,
            "feed": filters.feed_id,
            "since": filters.since.isoformat() if filters.since else None,
            "until": filters.until.isoformat() if filters.until else None,
            "passages": [p.candidate.passage_id for p in retrieval.passages],
            "backend": f"llm:{self.model}:{PROMPT_VERSION}" if use_llm else f"offline:{OFFLINE_VERSION}",
        }
        blob = json.dumps(identity, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    # -- the moderators' switches (`/admin ask`) ----------------------------------------------------

    async def guild_config(self, guild_id: int) -> AskGuild:
        """Whether `/ask` is on in a guild and the channels it is limited to (empty: every channel)."""
        return await self.repo.guild(guild_id)

    async def configure(
        self,
        guild_id: int,
        *,
        enabled: bool | None = None,
        allow: int | None = None,
        block: int | None = None,
        anywhere: bool = False,
    ) -> None:
        """Turn `/ask` on or off, allow or block one channel, or lift the channel limit."""
        if enabled is not None:
            await self.repo.set_enabled(guild_id, enabled)
        if anywhere or allow is not None or block is not None:
            channels = set() if anywhere else set((await self.repo.guild(guild_id)).channels)
            if allow is not None:
                channels.add(allow)
            if block is not None:
                channels.discard(block)
            await self.repo.set_channels(guild_id, sorted(channels))

    async def activity(self, guild_id: int) -> tuple[AskGuild, int, int]:
        """The guild's switches, its questions today (UTC), and the items still waiting to be indexed."""
        config = await self.repo.guild(guild_id)
        return config, await self.repo.questions_on(guild_id), await self.repo.pending_count()

    async def stored_answer(self, answer_id: int) -> tuple[int | None, Answer] | None:
        """A stored answer by id (for "Post to channel"), with the guild it was asked in."""
        return await stored_answer(self.repo, answer_id)

    async def maintain(self) -> int:
        """Background upkeep: rebuild queued passages; hourly, merge the index and forget old answers.
        Returns the items rebuilt."""
        rebuilt = await indexer.drain(self.repo)
        now = time.monotonic()
        if self._last_compact is None or now - self._last_compact >= COMPACT_EVERY_S:
            self._last_compact = now
            await self.repo.compact()
            await self.repo.prune_answers(utcnow() - ANSWERS_KEPT)
        return rebuilt


async def stored_answer(repo: AskRepo, answer_id: int) -> tuple[int | None, Answer] | None:
    """A stored answer by id (for "Post to channel"), with the guild it was asked in."""
    found = await repo.answer(answer_id)
    if found is None:
        return None
    answer = Answer.from_json(found[1])
    answer.answer_id = answer_id
    return found[0], answer
