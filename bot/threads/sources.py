"""Adapters giving the weekly post the week's episodes (feeds) and poll results (polls).

The weekly post depends only on the small protocols in `bot.threads.weekly`; these adapters implement them
over the other capabilities' public APIs, so a change there touches this file only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.polls.models import PollStatus
from bot.threads.weekly import WeeklyEpisode, WeeklyPollResult

if TYPE_CHECKING:
    from bot.polls.service import PollService
    from bot.store.announcements import AnnouncementRepo

log = logging.getLogger(__name__)

EPISODES_SCANNED = 50
POLLS_SCANNED = 50


class AnnouncedEpisodes:
    """The podcast's episodes published (or first seen) in the week AND announced in the guild, oldest
    first. An item the bot only remembered (present at the feed's first read, too old, capped) was never
    announced there, so it is not one of "this week's episodes" of that server."""

    def __init__(self, announcements: AnnouncementRepo, feed_name: str = "podcast") -> None:
        self.announcements = announcements
        self.feed_name = feed_name

    async def episodes_between(
        self, guild_id: int, start: datetime, end: datetime
    ) -> Sequence[WeeklyEpisode]:
        items = await self.announcements.announced_between(
            guild_id, self.feed_name, start, end, EPISODES_SCANNED
        )
        return [WeeklyEpisode(item_id=item.id, title=item.title, url=item.link) for item in items]


class PollResults:
    """The guild's polls that closed in the week, with their counts, oldest first."""

    def __init__(self, service: PollService) -> None:
        self.service = service

    async def results_between(
        self, guild_id: int, start: datetime, end: datetime
    ) -> Sequence[WeeklyPollResult]:
        polls = await self.service.repo.search(
            guild_id, "", statuses=(PollStatus.CLOSED, PollStatus.DONE), limit=POLLS_SCANNED
        )
        closed = [poll for poll in polls if poll.closed_at is not None and start <= poll.closed_at < end]
        closed.sort(key=lambda poll: poll.closed_at or end)
        results = []
        for poll in closed:
            tally = await self.service.tally(poll)
            url = (
                f"https://discord.com/channels/{poll.guild_id}/{poll.channel_id}/{poll.message_id}"
                if poll.message_id
                else None
            )
            answers = tuple((answer.text, answer.votes) for answer in tally.answers)
            results.append(WeeklyPollResult(question=poll.question, answers=answers, url=url))
        return results
