"""Adapters giving the weekly post the week's episodes (feeds, issue 4) and poll results (polls, issue 7).

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
    from bot.store.feeds import FeedRepo

log = logging.getLogger(__name__)

EPISODES_SCANNED = 50
POLLS_SCANNED = 50


class FeedEpisodes:
    """The podcast feed's items published (or first seen) in the week, oldest first."""

    def __init__(self, feeds: FeedRepo, feed_name: str = "podcast") -> None:
        self.feeds = feeds
        self.feed_name = feed_name

    async def episodes_between(
        self, guild_id: int, start: datetime, end: datetime
    ) -> Sequence[WeeklyEpisode]:
        feed = await self.feeds.get_feed_by_name(self.feed_name)
        if feed is None:
            return []
        items = await self.feeds.latest_items(feed.id, EPISODES_SCANNED)
        found = [item for item in items if start <= (item.published_at or item.first_seen_at) < end]
        found.sort(key=lambda item: item.published_at or item.first_seen_at)
        return [WeeklyEpisode(item_id=item.id, title=item.title, url=item.link) for item in found]


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
