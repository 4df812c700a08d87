"""What the digest service remembers of its LLM server: the profile in the store, and the outcomes."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from bot.digest.server import MODES, ServerProfile, probe_context
from bot.digest.status import status_report

if TYPE_CHECKING:
    from bot.digest.calls import Tally
    from bot.digest.llm import LLMSummarizer
    from bot.store.llm_servers import LLMServerRepo

log = logging.getLogger(__name__)


class ServerMemory:
    """Loads, probes and saves one summarizer's `ServerProfile`; logs its digests' outcomes."""

    def __init__(self, repo: LLMServerRepo, summarizer: LLMSummarizer, override: int | None) -> None:
        self.repo = repo
        self.summarizer = summarizer
        #: The operator's `LLM_CONTEXT_TOKENS`: when set, the server is not asked for its context.
        self.override = override
        self._lock = asyncio.Lock()
        summarizer.on_learn = self.remember
        summarizer.caller.on_mode = lambda _: self.remember(summarizer.profile)

    async def remember(self, profile: ServerProfile) -> None:
        """Persist what was learned about the server, so a restart does not learn it again."""
        learned = profile.context_source not in (None, "LLM_CONTEXT_TOKENS")
        await self.repo.save(
            profile.base_url,
            profile.model,
            context_tokens=profile.context_tokens if learned else None,
            context_source=profile.context_source if learned else None,
            response_mode=profile.response_mode,
        )

    async def learn(self, *, ask: bool = True) -> ServerProfile:
        """The server's profile: remembered, or asked once (`probe_context`) and then remembered.

        With `ask=False` (the status command, which must answer within Discord's 3 seconds) only what is
        remembered is read.
        """
        profile = self.summarizer.profile
        async with self._lock:
            if profile.probed:
                return profile
            record = await self.repo.get(profile.base_url, profile.model)
            if record is None and not ask:
                return profile
            if record is not None:
                mode = next((m for m in MODES if m == record.response_mode), None)
                if mode is not None:
                    profile.response_mode = mode
                    self.summarizer.caller.adopt_mode(mode)
                if self.override is None and record.context_tokens:
                    profile.context_tokens = record.context_tokens
                    profile.context_source = record.context_source
            elif self.override is None:
                found, where = await probe_context(self.summarizer.client, profile.model)
                if found:
                    profile.context_tokens, profile.context_source = found, where
                    log.info("the LLM server reports a context of %d tokens (%s)", found, where)
                await self.remember(profile)
            profile.probed = True
        return profile

    async def log_outcome(self, tally: Tally, *, ok: bool, cause: str | None, detail: str) -> None:
        """One LLM digest attempt and every request of it that failed, for the status command."""
        await self.repo.add_failures(list(tally.failures))
        await self.repo.add_digest(ok=ok, cause=cause, detail=detail[:300], requests=tally.requests)

    async def status_lines(self) -> list[str]:
        profile = await self.learn(ask=False)
        return await status_report(self.repo, profile, self.summarizer.caller.mode)
