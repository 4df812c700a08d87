"""Digest orchestration: source choice, the cache, the daily token budget, and the offline fallback.

`ensure_digest(item)` is what the announcer calls; `/digest` and the CLI use the same path. An episode is
summarized at most once per (source text, backend, model, prompt version); concurrent requests for one
episode wait for each other instead of paying twice, and across the fleet a digest is made by ONE process:
the one that takes the lease `digest:<episode key>` (`claim`, wired in the container); the others get
`DigestPending` (the pipeline asks again later) until the stored digest exists, and a process that dies
while making one loses the lease when it runs out. The LLM is skipped (offline digest used) when none is
configured, when the day's budget would be exceeded, or when it fails or answers garbage.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from bot.digest.analysis import withhold_poll_without_ai
from bot.digest.calls import Tally
from bot.digest.cues import Cue
from bot.digest.llm import PROMPT_VERSION, LLMFailure, LLMSummarizer, ProgressCallback
from bot.digest.memory import ServerMemory
from bot.digest.models import Digest, EpisodeInput, digest_key
from bot.digest.offline import OFFLINE_MODEL, summarize_offline
from bot.digest.server import ServerProfile, public_url
from bot.digest.source import SourceText, TranscriptFetcher, choose_source, clean_source
from bot.digest.validate import check_and_repair
from bot.fleet.once import LeaseGone
from bot.metrics import METRICS
from bot.store.digests import CacheKey, DigestRow, TokenUsage
from bot.store.llm_servers import LLMServerRepo
from bot.timeutil import utcnow

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from bot.fleet.once import LeaseGate
    from bot.settings import Settings
    from bot.store.digests import DigestRepo

log = logging.getLogger(__name__)

OFFLINE_VERSION = "2"
#: How long a fetched transcript is reused for the same episode (the fan-out to every guild takes minutes).
TRANSCRIPT_REUSE = timedelta(hours=1)
TRANSCRIPTS_KEPT = 16  # a 10,000-word transcript is about 60 KB of text
BackendChoice = Literal["auto", "llm", "offline"]


class DigestError(Exception):
    """A digest cannot be made as asked (e.g. the LLM backend was demanded but none is configured)."""


class DigestPending(DigestError):
    """Another process of the fleet is making this digest right now; it is stored when done."""


#: The lease of one episode's digest, for this process (see `bot.fleet.once.LeaseGate`).
DigestClaim = Callable[[str], "LeaseGate"]
#: How often a caller willing to wait looks again for a digest another process is making.
PENDING_POLL_SECONDS = 1.0


#: Receives (digest key, clean transcript text, transcript URL, its timed cues) whenever a transcript was
#: fetched and cleaned.
TranscriptSink = Callable[[str, str, str | None, tuple[Cue, ...]], Awaitable[None]]


def source_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class DigestService:
    """Makes, caches and accounts for digests. One per bot; safe to share between cogs."""

    def __init__(
        self,
        repo: DigestRepo,
        *,
        llm: AsyncOpenAI | None = None,
        model: str = "gpt-4o-mini",
        context_tokens: int | None = None,
        daily_token_budget: int = 200_000,
        fetcher: TranscriptFetcher | None = None,
        kind_of: Callable[[Any], Awaitable[str | None]] | None = None,
        on_transcript: TranscriptSink | None = None,
        claim: DigestClaim | None = None,
    ) -> None:
        self.repo = repo
        self.claim = claim
        self.kind_of = kind_of
        self.on_transcript = on_transcript
        self.servers = LLMServerRepo(repo.db)
        self.summarizer: LLMSummarizer | None = None
        self.memory: ServerMemory | None = None
        if llm is not None:
            profile = ServerProfile(public_url(str(llm.base_url)), model)
            if context_tokens is not None:  # the operator's LLM_CONTEXT_TOKENS
                profile.context_tokens, profile.context_source = context_tokens, "LLM_CONTEXT_TOKENS"
            self.summarizer = LLMSummarizer(llm, profile)
            self.memory = ServerMemory(self.servers, self.summarizer, context_tokens)
        self.model = model
        self.daily_token_budget = daily_token_budget
        self.fetcher = fetcher
        self._locks: dict[str, asyncio.Lock] = {}
        # Transcripts fetched lately, by episode and its transcript URLs (see `_source`).
        self._transcripts: OrderedDict[tuple[str, tuple[str, ...]], tuple[float, SourceText]] = OrderedDict()
        self._source_locks: dict[str, asyncio.Lock] = {}

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        repo: DigestRepo,
        llm: AsyncOpenAI | None,
        fetcher: TranscriptFetcher | None,
        kind_of: Callable[[Any], Awaitable[str | None]] | None = None,
        on_transcript: TranscriptSink | None = None,
        claim: DigestClaim | None = None,
    ) -> DigestService:
        return cls(
            repo,
            llm=llm,
            model=settings.openai_model,
            context_tokens=settings.llm_context_tokens,  # None: learned from the server
            daily_token_budget=settings.llm_daily_token_budget,
            fetcher=fetcher,
            kind_of=kind_of,
            on_transcript=on_transcript,
            claim=claim,
        )

    @property
    def llm_configured(self) -> bool:
        return self.summarizer is not None

    async def learn_server(self, *, ask: bool = True) -> ServerProfile | None:
        """What is known of the LLM server (see `ServerMemory.learn`); None without an LLM."""
        return await self.memory.learn(ask=ask) if self.memory is not None else None

    async def ensure_digest(
        self,
        item: EpisodeInput | Any,
        *,
        backend: BackendChoice = "auto",
        force: bool = False,
        progress: ProgressCallback | None = None,
        wait: float = 0.0,
    ) -> Digest:
        """The digest of a feed item (or `EpisodeInput`), from the cache when it was already made.

        Raises `DigestPending` when another process is making it, unless that process finishes within
        `wait` seconds (then its digest is returned)."""
        if isinstance(item, EpisodeInput):
            episode = item
        else:
            kind = await self.kind_of(item) if self.kind_of is not None else None
            episode = EpisodeInput.from_item(item, kind=kind)
        source = await self._source(episode, refetch=force)
        deadline = time.monotonic() + wait
        while True:
            try:
                return await self.digest_text(
                    episode.key, episode.title, source, backend=backend, force=force, progress=progress
                )
            except DigestPending:
                if time.monotonic() >= deadline:
                    raise
            await asyncio.sleep(PENDING_POLL_SECONDS)
            force = False  # the other process's digest, made meanwhile, is as fresh as a regenerate

    async def _source(self, episode: EpisodeInput, *, refetch: bool) -> SourceText:
        """The episode's text to summarize (`choose_source`), fetching a transcript once for all guilds.

        Every guild that follows a feed asks for the same episode's digest within minutes of each other.
        The digest itself is cached in the store, but its source hash is needed to find it, so without this
        each guild would download the transcript again from the show's host. A fetched transcript is kept
        for `TRANSCRIPT_REUSE` (keyed with the transcript URLs, so a feed that changes them is fetched
        again); `refetch` (a moderator's regenerate) always fetches.
        """
        key = (episode.key, tuple(sorted(ref.url for ref in episode.transcripts)))
        async with self._source_locks.setdefault(episode.key, asyncio.Lock()):
            now = time.monotonic()
            kept = self._transcripts.get(key)
            if kept is not None and not refetch and now - kept[0] < TRANSCRIPT_REUSE.total_seconds():
                return kept[1]
            source = await choose_source(episode, self.fetcher)
            if source.kind != "transcript":
                return source
            self._transcripts[key] = (now, source)
            self._transcripts.move_to_end(key)
            while len(self._transcripts) > TRANSCRIPTS_KEPT:
                self._transcripts.popitem(last=False)
        if self.on_transcript is not None:
            try:  # making the transcript searchable must never cost the digest
                await self.on_transcript(episode.key, source.text, source.url, source.cues)
            except Exception:
                log.exception("could not hand the transcript of %s to the search index", episode.key)
        return source

    async def stored(self, item: EpisodeInput | Any) -> DigestRow | None:
        """The newest stored digest of a feed item (or `EpisodeInput`, or digest key), without making one."""
        if isinstance(item, str):
            return await self.repo.latest(item)
        return await self.repo.latest(item.key if isinstance(item, EpisodeInput) else digest_key(item))

    async def digest_text(
        self,
        key: str,
        title: str,
        source: SourceText,
        *,
        backend: BackendChoice = "auto",
        force: bool = False,
        progress: ProgressCallback | None = None,
    ) -> Digest:
        """The digest of `source` stored under episode `key` (see the module docstring for the rules)."""
        if backend == "llm" and self.summarizer is None:
            raise DigestError("no LLM is configured (set OPENAI_BASE_URL and/or OPENAI_API_KEY)")
        source = clean_source(source)  # neither backend ever sees an ad or a header
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            digest_hash = source_hash(source.text)
            if not force and (cached := await self._cached(key, digest_hash, backend)) is not None:
                return cached

            async def make() -> Digest:
                return await self._make(key, title, source, digest_hash, backend, force, progress)

            if self.claim is None:
                return await make()
            try:
                ran = await self.claim(key).run(make, release=True)
            except LeaseGone:  # stalled past the lease: another process makes it now
                ran = None
            if ran is None:
                raise DigestPending(f"the digest of {key} is being made by another process")
            return ran.value

    async def _cached(self, key: str, digest_hash: str, backend: BackendChoice) -> Digest | None:
        """The stored digest `digest_text` would return without making one: the LLM's when an LLM would be
        asked, else the offline one."""
        if backend != "offline" and self.summarizer is not None:
            cached = await self.repo.get_cached(CacheKey(key, digest_hash, "llm", self.model, PROMPT_VERSION))
        else:
            cached = await self.repo.get_cached(
                CacheKey(key, digest_hash, "offline", OFFLINE_MODEL, OFFLINE_VERSION)
            )
        return cached.digest if cached is not None else None

    async def _make(
        self,
        key: str,
        title: str,
        source: SourceText,
        digest_hash: str,
        backend: BackendChoice,
        force: bool,
        progress: ProgressCallback | None,
    ) -> Digest:
        """Make the digest (the LLM's, else the offline one) and store it; this process holds its claim."""
        fallback_reason: str | None = None
        if backend != "offline" and self.summarizer is not None:
            made, fallback_reason = await self._try_llm(key, title, source, digest_hash, force, progress)
            if made is not None:
                return made
        offline = await self._offline(key, title, source, digest_hash, force)
        if fallback_reason:
            await self.repo.add_fallback()
            log.warning("digest of %s made offline: %s", key, fallback_reason)
            offline = replace(offline, fallback_reason=fallback_reason)
        return offline

    async def _try_llm(
        self,
        key: str,
        title: str,
        source: SourceText,
        digest_hash: str,
        force: bool,
        progress: ProgressCallback | None,
    ) -> tuple[Digest | None, str | None]:
        if self.summarizer is None or self.memory is None:
            return None, None
        cache_key = CacheKey(key, digest_hash, "llm", self.model, PROMPT_VERSION)
        if not force and (cached := await self.repo.get_cached(cache_key)) is not None:
            log.info("digest of %s served from the cache (llm)", key)
            return cached.digest, None
        await self.learn_server()
        plan = self.summarizer.plan(source.text)
        estimate = self.summarizer.estimate_cost(plan)
        spent = await self.repo.usage_today()
        if spent.total + estimate > self.daily_token_budget:
            return None, (
                f"daily LLM token budget reached ({spent.total:,} used of {self.daily_token_budget:,}; "
                f"this digest needs about {estimate:,})"
            )

        async def record(tokens_in: int, tokens_out: int) -> None:
            await self.repo.add_usage(tokens_in, tokens_out)

        tally = Tally()
        try:
            result = await self.summarizer.summarize(
                source.text, title, plan=plan, on_usage=record, on_progress=progress, tally=tally
            )
            repaired = check_and_repair(
                result, source.text, title, lambda: summarize_offline(source.text, title, source=source.kind)
            )
            if not repaired.written_by_llm:
                raise LLMFailure("the answer failed validation: " + "; ".join(repaired.problems), "invalid")
        except LLMFailure as exc:
            await self.memory.log_outcome(tally, ok=False, cause=exc.cause, detail=exc.reason)
            return None, exc.reason
        await self.memory.log_outcome(tally, ok=True, cause=None, detail="; ".join(repaired.problems))
        digest = Digest(
            tldr=repaired.tldr,
            key_points=repaired.key_points,
            topics=repaired.topics,
            entities=repaired.entities,
            quote=repaired.quote,
            angle=repaired.angle,
            poll=repaired.poll,
            backend="llm",
            model=self.model,
            source=source.kind,
            source_url=source.url,
            tokens_in=result.tokens_in,
            tokens_out=result.tokens_out,
            chunks=result.chunks,
            field_sources=repaired.sources,
        )
        digest = withhold_poll_without_ai(digest, source.text)
        await self.repo.save(cache_key, title, digest)
        METRICS.digests.labels(backend="llm").inc()
        log.info(
            "digest of %s made by %s: %d chunks, %d requests, %d+%d tokens%s",
            key,
            self.model,
            result.chunks,
            tally.requests,
            result.tokens_in,
            result.tokens_out,
            f"; repaired {', '.join(repaired.problems)}" if repaired.problems else "",
        )
        return digest, None

    async def _offline(
        self, key: str, title: str, source: SourceText, digest_hash: str, force: bool
    ) -> Digest:
        cache_key = CacheKey(key, digest_hash, "offline", OFFLINE_MODEL, OFFLINE_VERSION)
        if not force and (cached := await self.repo.get_cached(cache_key)) is not None:
            return cached.digest
        digest = await asyncio.to_thread(
            summarize_offline, source.text, title, source=source.kind, description=source.description
        )
        digest.source_url = source.url
        await self.repo.save(cache_key, title, digest)
        METRICS.digests.labels(backend="offline").inc()
        return digest

    async def status_lines(self) -> list[str]:
        """The digest part of a status report: backend, spend, and what is known of the LLM server."""
        lines = [await self.spend_line()]
        if self.summarizer is not None:
            week = await self.repo.usage_since(utcnow().date() - timedelta(days=6))
            lines.append(
                f"Last 7 days: {week.total:,} tokens in {week.requests} requests, "
                f"{week.fallbacks} offline fallbacks."
            )
        if self.memory is not None:
            lines.extend(await self.memory.status_lines())
        return lines

    async def usage_today(self) -> TokenUsage:
        return await self.repo.usage_today()

    async def spend_line(self) -> str:
        """One line for the moderators' status command: today's LLM spend against the budget."""
        if self.summarizer is None:
            return "Digests: offline summarizer (no LLM configured), no tokens spent."
        usage = await self.repo.usage_today()
        share = f" ({usage.total / self.daily_token_budget:.0%})" if self.daily_token_budget else ""
        return (
            f"Digests: {self.model}, {usage.total:,} of {self.daily_token_budget:,} tokens today{share} "
            f"({usage.tokens_in:,} in, {usage.tokens_out:,} out; {usage.requests} requests, "
            f"{usage.fallbacks} offline fallbacks)."
        )
