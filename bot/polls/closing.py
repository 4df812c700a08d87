"""Closing polls: early by a moderator, on schedule (also after a restart), or when Discord finalizes one.

A poll goes open → closed (votes stop counting; Discord's counts stored for a native poll) → done (results
posted). Each step is recorded before the next starts, so a restart resumes where it stopped: a closed
poll whose results were not posted yet gets them on the next pass.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import discord

from bot.errors import NO_MENTIONS
from bot.events import PollClosed
from bot.polls import publish
from bot.polls.models import Poll, PollMode, PollStatus
from bot.polls.spec import PollError

if TYPE_CHECKING:
    from bot.events import EventBus
    from bot.fleet import Topology
    from bot.polls.service import PollService

log = logging.getLogger(__name__)

STALE_PENDING = timedelta(minutes=30)


class PollCloser:
    """Closes polls and posts their results through a connected discord.py client."""

    def __init__(
        self,
        service: PollService,
        client: discord.Client,
        events: EventBus | None = None,
        topology: Topology | None = None,
    ) -> None:
        self.service = service
        self.topology = topology
        self.events = events
        self.repo = service.repo
        self.client = client
        self._publishing: dict[int, asyncio.Lock] = {}

    def channel(self, poll: Poll) -> discord.abc.Messageable:
        found = self.client.get_channel(poll.channel_id)
        if isinstance(found, discord.abc.Messageable):
            return found
        return self.client.get_partial_messageable(poll.channel_id, guild_id=poll.guild_id)

    async def close(self, poll: Poll) -> Poll:
        """Close an open poll now (ending a native one on Discord) and post its results."""
        if poll.status is not PollStatus.OPEN:
            raise PollError(f"Poll #{poll.id} is not open.")
        channel = self.channel(poll)
        final_counts = None
        if poll.mode is PollMode.NATIVE:
            message = await publish.end_native(channel, poll)
            counted = publish.native_counts(message) if message else None
            if counted is not None:
                final_counts, finalized = counted
                await self.repo.set_final_counts(poll.id, final_counts, finalized=finalized)
        closed_now = await self.repo.close(poll.id, closed_at=self.service.clock(), final_counts=final_counts)
        if not closed_now:
            log.info("poll %s was closed meanwhile", poll.id)
        closed = await self.repo.get(poll.id)
        assert closed is not None  # noqa: S101
        if closed_now:
            await self._closed(closed)
        if closed.status is PollStatus.CLOSED:
            await self.publish(closed)
        return await self.repo.get(poll.id) or closed

    async def _closed(self, poll: Poll) -> None:
        """Tell whoever reacts that the poll stopped counting votes (once: only the closer that closed it)."""
        if self.events is not None:
            await self.events.publish(
                PollClosed(
                    poll_id=poll.id,
                    guild_id=poll.guild_id,
                    channel_id=poll.channel_id,
                    item_id=poll.item_id,
                    closed_at=poll.closed_at or self.service.clock(),
                )
            )

    async def publish(self, poll: Poll) -> None:
        """Post the results of a closed poll (and retire an anonymous poll's buttons), exactly once.

        The scheduler, `/poll close` and Discord's finalization can all get here for one poll; a per-poll
        lock and a fresh read make the second one a no-op (the results nonce covers a crash in between).
        """
        lock = self._publishing.setdefault(poll.id, asyncio.Lock())
        try:
            async with lock:
                fresh = await self.repo.get(poll.id)
                if fresh is not None and fresh.status is PollStatus.CLOSED:
                    await self._publish(fresh)
        finally:
            if not lock.locked():
                self._publishing.pop(poll.id, None)

    async def _publish(self, poll: Poll) -> None:
        channel = self.channel(poll)
        if poll.mode is PollMode.ANONYMOUS:
            await publish.mark_anonymous_closed(channel, poll)
        tally = await self.service.tally(poll)
        try:
            message = await publish.post_results(channel, tally)
        except (discord.Forbidden, discord.NotFound) as exc:
            log.warning(
                "results of poll %s cannot be posted in channel %s: %s", poll.id, poll.channel_id, exc
            )
            await self.repo.mark_done(poll.id, None)
            return
        await self.repo.mark_done(poll.id, message.id)
        log.info("results of poll %s posted as message %s", poll.id, message.id)

    async def run_due(self) -> int:
        """One scheduler pass: close every poll past its time, post pending results. Returns polls handled.

        Each poll is isolated: one failing (Discord outage, deleted channel) never stops the others. In a
        fleet each process handles the polls of the guilds it owns; closing is one conditional update
        (open → closed), so only the closer that closed a poll tells of it and posts its results.
        """
        now = self.service.clock()
        handled = 0
        guilds = self.topology.guild_filter() if self.topology is not None else ("1 = 1", ())
        for poll in await self.repo.with_status(PollStatus.OPEN, due_before=now, guilds=guilds):
            try:
                await self.close(poll)
                handled += 1
            except Exception:
                log.exception("could not close poll %s; will retry", poll.id)
        for poll in await self.repo.with_status(PollStatus.CLOSED, guilds=guilds):
            try:
                await self.publish(poll)
                handled += 1
            except Exception:
                log.exception("could not post the results of poll %s; will retry", poll.id)
        for poll in await self.repo.with_status(PollStatus.PENDING, guilds=guilds):
            if poll.item_id is None and now - poll.created_at > STALE_PENDING:
                log.warning("poll %s was never confirmed as posted; marking it failed", poll.id)
                await self.repo.mark_failed(poll.id)
        return handled

    async def on_native_update(self, message: discord.Message) -> None:
        """A native poll's message changed: when Discord finalized it, store the final counts.

        An open poll is closed (and its results posted); a poll already closed gets exact counts, and
        results already posted are edited to show them.
        """
        if message.poll is None or not message.poll.is_finalised():
            return
        poll = await self.repo.by_message(message.id)
        if poll is None or poll.mode is not PollMode.NATIVE or poll.finalized:
            return
        counted = publish.native_counts(message)
        if counted is None:
            return
        counts, _ = counted
        await self.repo.set_final_counts(poll.id, counts, finalized=True)
        if poll.status is PollStatus.OPEN:
            if await self.repo.close(poll.id, closed_at=self.service.clock(), final_counts=counts):
                closed = await self.repo.get(poll.id)
                if closed is not None:
                    await self._closed(closed)
                    await self.publish(closed)
            return
        if poll.status is PollStatus.DONE and poll.results_message_id is not None:
            await self._refresh_results(poll)

    async def _refresh_results(self, poll: Poll) -> None:
        fresh = await self.repo.get(poll.id)
        if fresh is None or fresh.results_message_id is None:
            return
        tally = await self.service.tally(fresh)
        embed, file = await publish.results_payload(tally)
        message = self.channel(fresh).get_partial_message(fresh.results_message_id)  # type: ignore[attr-defined]
        try:
            await message.edit(embed=embed, attachments=[file] if file else [], allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.info("could not update the results of poll %s with Discord's final counts: %s", poll.id, exc)
