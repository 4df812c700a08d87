"""Thin adapters over `bot.ask`: `/ask` (deferred, with progress) and the passage upkeep (`/admin ask` is
in `cogs.ask.admin`).

The `AskService` is made here from the bot's store, settings and LLM client. A background loop rebuilds
queued passages (the whole archive once after the migration, then whatever changed) every minute and
forgets old answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.ask.render import answer_embed
from bot.ask.retrieve import EmptyQuestion
from bot.ask.service import AskRefused, AskService, Filters
from bot.ask.words import content_words
from bot.errors import NO_MENTIONS, UserFacingError
from cogs._options import NOT_FOLLOWING, MemberFeed
from cogs.ask.admin import AskAdmin
from cogs.ask.views import post_view

if TYPE_CHECKING:
    from bot.client import CommunityBot
    from bot.fleet.once import FleetJob
    from bot.search.episodes import EpisodeCards

log = logging.getLogger(__name__)

QUESTION_MAX_CHARS = 300
MemberFeedOption = app_commands.Transform[int, MemberFeed]
UPKEEP_SECONDS = 60.0
#: Passage upkeep is fleet-wide work: the holder of this lease does it (`bot.fleet.once.FleetJob`).
UPKEEP_LEASE = "ask-upkeep"
PROGRESS_DELAY = 1.0
_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\s*$")


def parse_day(text: str, option: str, *, end: bool = False) -> datetime:
    """`2025-03-01` (or `2025-03`) as an aware UTC time: its start, or with `end` the start of the next."""
    match = _DATE.match(text)
    try:
        if match is None:
            raise ValueError(text)
        year, month = int(match[1]), int(match[2])
        day = int(match[3]) if match[3] else 1
        start = datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        raise UserFacingError(
            f"`{option}` takes a date such as `2025-03-01` or a month such as `2025-03`."
        ) from None
    if not end:
        return start
    if match and match[3]:
        return start + timedelta(days=1)
    return datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)


class Progress:
    """Shows what `/ask` is doing ("Searching 2,143 episodes…") once it has taken longer than `delay`.

    A quick answer replaces Discord's "thinking…" directly instead of flashing steps past; a slow one (a
    large archive, an LLM) shows each step as it starts. Edits are a courtesy: a failed one is logged.
    """

    def __init__(self, interaction: discord.Interaction, delay: float) -> None:
        self.interaction = interaction
        self.delay = delay
        self.started = time.monotonic()
        self.latest: str | None = None
        self.shown: str | None = None
        self.finished = False
        self._timer: asyncio.Task[None] | None = None

    async def __call__(self, text: str) -> None:
        self.latest = text
        if time.monotonic() - self.started >= self.delay:
            await self._show()
        elif self._timer is None:
            self._timer = asyncio.create_task(self._show_later(), name="ask-progress")

    async def _show_later(self) -> None:
        await asyncio.sleep(max(0.0, self.delay - (time.monotonic() - self.started)))
        await self._show()

    async def _show(self) -> None:
        if self.finished or self.latest is None or self.latest == self.shown:
            return
        self.shown = self.latest
        try:
            await self.interaction.edit_original_response(content=self.latest, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.info("could not show /ask progress: %s", exc)

    async def finish(self) -> None:
        """No more progress: the answer (or an error) comes next."""
        self.finished = True
        if self._timer is not None and not self._timer.done():
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer


class Ask(commands.Cog):
    """Answers from the show's own archive."""

    #: Seconds before progress is shown (tests set 0 to see every step).
    progress_delay: float = PROGRESS_DELAY

    def __init__(
        self, bot: CommunityBot, service: AskService, cards: EpisodeCards, upkeep_job: FleetJob
    ) -> None:
        self.bot = bot
        self.service = service
        self.cards = cards
        self.upkeep_job = upkeep_job
        self.admin = AskAdmin(service, bot.settings.openai_model)
        self.upkeep.change_interval(seconds=upkeep_job.tick_seconds)

    async def cog_load(self) -> None:
        self.upkeep.start()

    async def cog_unload(self) -> None:
        self.upkeep.cancel()
        await self.upkeep_job.release()

    @tasks.loop(seconds=UPKEEP_SECONDS)
    async def upkeep(self) -> None:
        try:
            await self.upkeep_job.tick(self.service.maintain)
        except Exception:  # an uncaught exception would stop the loop for good
            log.exception("ask: passage upkeep failed; trying again in a minute")

    @upkeep.before_loop
    async def _before_upkeep(self) -> None:
        await self.bot.wait_until_ready()

    # -- /ask ---------------------------------------------------------------------------------------

    @app_commands.command(
        name="ask", description="Ask the show's archive; the answer cites episodes and moments."
    )
    @app_commands.describe(
        question="e.g. when did they first talk about Llama 4?",
        since="Only episodes from this date on (2025-03-01 or 2025-03)",
        until="Only episodes up to this date (2025-06-30 or 2025-06)",
        feed="Only this followed feed",
    )
    @app_commands.guild_only()
    async def ask(
        self,
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, QUESTION_MAX_CHARS],
        since: str | None = None,
        until: str | None = None,
        feed: MemberFeedOption | None = None,
    ) -> None:
        if interaction.guild_id is None:
            raise UserFacingError("This command only works inside a server.")
        guild_id = interaction.guild_id
        if not content_words(question):
            raise UserFacingError(
                "Ask about something: a name, a model, a company or a topic the show covered."
            )
        filters = Filters(
            guild_id=guild_id,
            feed_id=feed,
            since=parse_day(since, "since") if since else None,
            until=parse_day(until, "until", end=True) if until else None,
        )
        if filters.since and filters.until and filters.since >= filters.until:
            raise UserFacingError("`since` must come before `until`.")
        if not await self.cards.followed_feeds(guild_id):
            raise UserFacingError(NOT_FOLLOWING)
        try:
            await self.service.admit(guild_id, interaction.user.id, interaction.channel_id)
        except AskRefused as exc:
            raise UserFacingError(str(exc)) from exc
        await interaction.response.defer(ephemeral=True, thinking=True)
        progress = Progress(interaction, self.progress_delay)
        try:
            answer = await self.service.answer(question, filters, progress=progress)
        except EmptyQuestion as exc:
            raise UserFacingError(str(exc)) from exc
        finally:
            await progress.finish()
        view = post_view(interaction.user.id, answer.answer_id) or discord.utils.MISSING
        await interaction.edit_original_response(
            content=None,
            embed=answer_embed(answer, model=self.bot.settings.openai_model),
            view=view,
            allowed_mentions=NO_MENTIONS,
        )
