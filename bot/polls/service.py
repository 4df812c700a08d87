"""The polls capability: create, vote, tally, close on schedule, post results, trend.

`PollService` is what the cog and other capabilities (announcements) call. It owns the rules; the store
owns the SQL; `publish` does the Discord I/O.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord

from bot.polls import publish
from bot.polls.ballots import BallotKey
from bot.polls.buttons import vote_view
from bot.polls.models import (
    AnswerResult,
    GuildPollSettings,
    Poll,
    PollMode,
    PollSpec,
    PollStatus,
    Stance,
    SuggestionLike,
    Tally,
    TrendPoint,
    VoteOutcome,
)
from bot.polls.spec import PollError, spec_from_suggestion
from bot.timeutil import discord_timestamp, utcnow

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger(__name__)

FINGERPRINT_KEY = "poll_secret_fingerprint"
NONCE_WINDOW = timedelta(minutes=2)  # after this, a retry checks the channel before sending again
TREND_LIMIT = 50


def episode_nonce(guild_id: int, item_id: int, generation: int = 0) -> str:
    """The same nonce for every attempt at one guild's episode poll (Discord dedupes repeated sends).

    `generation` moves past the nonce of an older poll whose episode row was deleted and whose item id
    SQLite has since handed out again.
    """
    seed = f"episode-poll:{guild_id}:{item_id}" + (f":{generation}" if generation else "")
    return "p" + hashlib.sha256(seed.encode()).hexdigest()[:19]


def new_nonce() -> str:
    return "p" + secrets.token_hex(10)[:19]


class PollService:
    def __init__(
        self,
        store: Store,
        key: BallotKey,
        *,
        view_factory: publish.ViewFactory | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.repo = store.polls
        self.key = key
        self.view_factory: publish.ViewFactory = view_factory or vote_view
        self.clock = clock

    async def check_key(self) -> bool:
        """Remember the secret's fingerprint; warn (False) when the secret changed since the last start."""
        stored = await self.store.meta.get(FINGERPRINT_KEY)
        current = self.key.fingerprint()
        if stored is None:
            await self.store.meta.set(FINGERPRINT_KEY, current)
            return True
        if stored != current:
            log.warning(
                "the poll secret changed since the last start: members can vote once more in open anonymous "
                "polls. Restore the old POLL_SECRET (or the .poll-secret file) to prevent that."
            )
            await self.store.meta.set(FINGERPRINT_KEY, current)
            return False
        return True

    # -- settings -------------------------------------------------------------------------------------

    async def settings(self, guild_id: int) -> GuildPollSettings:
        return await self.repo.get_settings(guild_id)

    async def update_settings(
        self, guild_id: int, *, auto: bool | None, mode: PollMode | None, duration_hours: int | None
    ) -> GuildPollSettings:
        current = await self.repo.get_settings(guild_id)
        if duration_hours is not None and not 1 <= duration_hours <= 768:
            raise PollError("The duration must be between 1 and 768 hours (32 days).")
        updated = GuildPollSettings(
            guild_id=guild_id,
            auto_enabled=current.auto_enabled if auto is None else auto,
            mode=current.mode if mode is None else mode,
            duration_hours=current.duration_hours if duration_hours is None else duration_hours,
        )
        await self.repo.save_settings(updated)
        return updated

    # -- creating -------------------------------------------------------------------------------------

    async def create_poll(
        self,
        *,
        guild_id: int,
        channel: discord.abc.Messageable,
        channel_id: int,
        spec: PollSpec,
        bot_id: int,
        created_by: int | None = None,
        item_id: int | None = None,
        nonce: str | None = None,
    ) -> Poll:
        """Record the poll (intent first), then post it. Posting a poll already posted returns it as is."""
        now = self.clock()
        poll, _ = await self.repo.create(
            spec,
            guild_id=guild_id,
            channel_id=channel_id,
            nonce=nonce or new_nonce(),
            created_at=now,
            closes_at=now + timedelta(hours=spec.duration_hours),
            item_id=item_id,
            created_by=created_by,
        )
        if poll.status is not PollStatus.PENDING:
            return poll
        message = None
        if now - poll.created_at > NONCE_WINDOW:
            message = await publish.find_sent(channel, poll, bot_id)
            if message is None:  # never posted: it runs for its full duration from now on
                duration = poll.closes_at - poll.created_at
                await self.repo.reschedule_pending(poll.id, created_at=now, closes_at=now + duration)
                poll = await self.repo.get(poll.id) or poll
        if message is None:
            try:
                message = await publish.send_poll(channel, poll, self.view_factory)
            except (discord.Forbidden, discord.NotFound) as exc:
                await self.repo.mark_failed(poll.id)
                raise PollError(
                    "I couldn't post the poll in that channel (Discord said: "
                    f"{exc.text or exc.status}). Check that I can send messages and create polls there."
                ) from exc
            except discord.HTTPException as exc:
                if exc.status >= 500:
                    raise  # transient: the caller may retry; the same nonce keeps it from posting twice
                raise PollError(
                    f"Discord refused the poll ({exc.status}: {exc.text or 'no reason given'})."
                ) from exc
        await self.repo.mark_sent(poll.id, message.id)
        log.info("poll %s posted in guild %s as message %s (%s)", poll.id, guild_id, message.id, poll.mode)
        sent = await self.repo.get(poll.id)
        assert sent is not None  # noqa: S101
        return sent

    async def create_episode_poll(
        self,
        *,
        guild_id: int,
        thread: discord.abc.Messageable,
        item_id: int,
        suggestion: SuggestionLike | None,
    ) -> int | None:
        """Post the episode's poll in its thread when the guild has episode polls on; returns the poll id.

        Idempotent per (guild, episode): a retry returns the poll already posted, and a retry after a crash
        between recording and posting reuses the same nonce, so Discord returns the first message.
        Returns None when episode polls are off, when the digest withheld the poll (`skip_reason`: the
        item is not about AI), or Discord refused the poll (4xx, logged; a later call tries again).
        Transient failures (Discord 5xx, timeouts, connection errors) are raised, so the caller retries
        them.
        """
        settings = await self.repo.get_settings(guild_id)
        if not settings.auto_enabled:
            return None
        if skip_reason := getattr(suggestion, "skip_reason", None):
            log.info("no episode poll for item %s in guild %s: %s", item_id, guild_id, skip_reason)
            return None
        spec = spec_from_suggestion(suggestion, duration_hours=settings.duration_hours, mode=settings.mode)
        me = getattr(getattr(thread, "guild", None), "me", None)
        channel_id = getattr(thread, "id", None)
        if channel_id is None:
            raise TypeError("the episode thread must have an id")
        now = self.clock()
        await self.repo.retry_failed_episode(
            guild_id, item_id, created_at=now, closes_at=now + timedelta(hours=spec.duration_hours)
        )
        nonce, generation = episode_nonce(guild_id, item_id), 0
        while await self.repo.nonce_taken_elsewhere(nonce, guild_id=guild_id, item_id=item_id):
            generation += 1
            nonce = episode_nonce(guild_id, item_id, generation)
        try:
            poll = await self.create_poll(
                guild_id=guild_id,
                channel=thread,
                channel_id=channel_id,
                spec=spec,
                bot_id=me.id if me is not None else 0,
                item_id=item_id,
                nonce=nonce,
            )
        except PollError as exc:
            log.warning("episode poll for item %s in guild %s not posted: %s", item_id, guild_id, exc.message)
            return None
        return poll.id

    # -- voting ---------------------------------------------------------------------------------------

    async def _open_poll(self, poll_id: int, guild_id: int | None) -> Poll:
        poll = await self.repo.get(poll_id, guild_id=guild_id)
        if poll is None:
            raise PollError("This poll no longer exists.")
        if poll.status is not PollStatus.OPEN:
            when = discord_timestamp(poll.closed_at or poll.closes_at, "R")
            raise PollError(f"This poll closed {when}; votes are no longer counted.")
        return poll

    async def vote(self, poll_id: int, *, guild_id: int | None, member_id: int, position: int) -> VoteOutcome:
        """A member clicked an answer of an anonymous poll: choose it (toggled in a multiple-choice poll)."""
        poll = await self._open_poll(poll_id, guild_id)
        if poll.mode is not PollMode.ANONYMOUS or position not in {a.position for a in poll.answers}:
            raise PollError("That button does not belong to an open anonymous poll.")
        chosen = await self.repo.vote(
            poll.id, self.key.ballot(poll.id, member_id), position, toggle=poll.multiple
        )
        if chosen is None:
            raise PollError("This poll just closed; your vote was not counted.")
        return VoteOutcome(poll=poll, chosen=chosen)

    async def withdraw(self, poll_id: int, *, guild_id: int | None, member_id: int) -> VoteOutcome:
        poll = await self._open_poll(poll_id, guild_id)
        if await self.repo.withdraw(poll.id, self.key.ballot(poll.id, member_id)) is None:
            raise PollError("This poll just closed; your vote stays as it was.")
        return VoteOutcome(poll=poll, chosen=())

    async def my_vote(self, poll_id: int, *, guild_id: int | None, member_id: int) -> VoteOutcome:
        """The member's own choices (only they can ask: the ballot is derived from their id)."""
        poll = await self.repo.get(poll_id, guild_id=guild_id)
        if poll is None:
            raise PollError("This poll no longer exists.")
        return VoteOutcome(
            poll=poll, chosen=await self.repo.choices(poll.id, self.key.ballot(poll.id, member_id))
        )

    async def mirror_native_vote(self, *, message_id: int, user_id: int, answer_id: int, added: bool) -> bool:
        """A native poll vote event: mirror it as a keyed ballot (idempotent). False for unknown messages."""
        poll = await self.repo.by_message(message_id)
        if poll is None or poll.mode is not PollMode.NATIVE or poll.status is not PollStatus.OPEN:
            return False
        return await self.repo.mirror_native_vote(
            poll.id, self.key.ballot(poll.id, user_id), answer_id, added=added
        )

    # -- counting -------------------------------------------------------------------------------------

    async def tally(self, poll: Poll) -> Tally:
        """Counts per answer: Discord's counts for a closed native poll, else the mirrored ballots."""
        counts, voters = await self.repo.ballot_counts(poll.id)
        final = poll.status in {PollStatus.CLOSED, PollStatus.DONE}
        if poll.mode is PollMode.NATIVE and any(a.final_count is not None for a in poll.answers):
            counts = {a.position: a.final_count or 0 for a in poll.answers}
            final = poll.finalized
            if not poll.multiple:
                voters = sum(counts.values())
        elif poll.mode is PollMode.NATIVE:
            final = False
        total = sum(counts.get(a.position, 0) for a in poll.answers)
        results = tuple(
            AnswerResult(
                position=a.position,
                text=a.text,
                stance=a.stance,
                votes=counts.get(a.position, 0),
                percent=(counts.get(a.position, 0) / total * 100) if total else 0.0,
            )
            for a in poll.answers
        )
        return Tally(poll=poll, answers=results, voters=voters, final=final)

    async def get(self, poll_id: int, *, guild_id: int | None) -> Poll | None:
        """A poll of this guild (never another's), or None."""
        return await self.repo.get(poll_id, guild_id=guild_id)

    async def results_for(self, guild_id: int, poll_id: int | None) -> Tally:
        """The tally a member may see: refused for an open anonymous poll (tallies hidden until it closes)."""
        finished = (PollStatus.CLOSED, PollStatus.DONE)
        if poll_id is None:
            poll = await self.repo.latest(guild_id, statuses=finished)
            if poll is None:
                raise PollError("No poll has closed in this server yet.")
        else:
            poll = await self.repo.get(poll_id, guild_id=guild_id)
            if poll is None:
                raise PollError(f"There is no poll #{poll_id} in this server.")
        if poll.status in {PollStatus.PENDING, PollStatus.FAILED}:
            raise PollError(f"Poll #{poll.id} was never posted.")
        if poll.status is PollStatus.OPEN and poll.mode is PollMode.ANONYMOUS:
            raise PollError(
                f"Poll #{poll.id} is anonymous: its results stay hidden until it closes "
                f"{discord_timestamp(poll.closes_at, 'R')}."
            )
        return await self.tally(poll)

    async def trend(self, guild_id: int) -> list[TrendPoint]:
        """The open-versus-closed split of this guild's finished polls, oldest first."""
        points = []
        for poll in await self.repo.closed_with_stances(guild_id, limit=TREND_LIMIT):
            tally = await self.tally(poll)
            opens, closeds = tally.stance_votes(Stance.OPEN), tally.stance_votes(Stance.CLOSED)
            if opens + closeds:
                at = poll.closed_at or poll.closes_at
                points.append(TrendPoint(poll.id, poll.question, at, opens, closeds))
        return points

    async def search(self, guild_id: int, text: str, *, only_open: bool) -> list[Poll]:
        """Polls of this guild (never another's) for autocomplete."""
        statuses = (PollStatus.OPEN,) if only_open else (PollStatus.OPEN, PollStatus.CLOSED, PollStatus.DONE)
        return await self.repo.search(guild_id, text.strip(), statuses=statuses)
