"""The worker's side of the schedule: each feed's learned pattern, cached, and the plan after each poll.

`Planner.plan(feed, now, fields)` reads the feed's publication history from the store (through
`observed`, which distrusts impossible publication times), learns its `Pattern` (cached per feed,
relearned when a poll stored new items or after `PATTERN_TTL`), and writes `next_poll_at` and
`poll_reason` into the poll's fields, from `bot.feeds.schedule.plan`.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.feeds.hints import declared_times
from bot.feeds.schedule import Inputs, Pattern, ScheduleConfig, learn, plan

if TYPE_CHECKING:
    from bot.feeds.models import Feed
    from bot.store import Store
    from bot.store.feeds import Published

PATTERN_TTL = timedelta(hours=6)  # a learned pattern is relearned at least this often
MOVED = "the feed moved: its new address is polled at once"

Learned = tuple[Pattern | None, int, datetime | None]


class Planner:
    """Plans each feed's next poll; one per worker."""

    def __init__(self, store: Store, config: ScheduleConfig) -> None:
        self.store = store
        self.config = config
        self._patterns: dict[int, tuple[datetime, str | None, Learned]] = {}

    async def plan(
        self, feed: Feed, now: datetime, fields: dict[str, Any], *, retry_after: float | None = None
    ) -> None:
        """Set `next_poll_at` and `poll_reason` in `fields` from the pattern and the declarations.

        A poll that already set `next_poll_at` (a move to a new address, polled at once) keeps it.
        """
        if "next_poll_at" in fields:
            fields.setdefault("poll_reason", MOVED)
            return
        rule = fields.get("declared_rrule", feed.declared_rrule)
        pattern, history, last = await self.learned(feed, now, rule)
        inputs = Inputs(
            pattern=pattern,
            history=history,
            last_published=last,
            declared_interval=fields.get("declared_interval", feed.declared_interval),
            max_age=fields.get("cache_max_age", feed.cache_max_age),
            retry_after=retry_after,
            complete=bool(fields.get("feed_complete", feed.feed_complete)),
            push_active=feed.push_active,
        )
        decision = plan(now, inputs, self.config)
        fields["next_poll_at"] = decision.at
        fields["poll_reason"] = decision.reason

    def forget(self, feed_id: int) -> None:
        """Drop the cached pattern: the next plan learns it again from the stored history."""
        self._patterns.pop(feed_id, None)

    async def learned(self, feed: Feed, now: datetime, rule: str | None = None) -> Learned:
        """The feed's pattern, how many publications it learned from, and the newest of them.

        With fewer publications than a pattern needs, a declared `podcast:updateFrequency` rule (with its
        start time) stands in for the missing history.
        """
        cached = self._patterns.get(feed.id)
        if cached is not None and now - cached[0] < PATTERN_TTL and cached[1] == rule:
            return cached[2]
        since = now - timedelta(days=self.config.history_days)
        history = await self.store.feeds.publication_history(feed.id, since)
        times = [t for t in (observed(p, self.config.max_interval) for p in history) if t is not None]
        usable, last = len(times), max(times, default=None)
        if rule and usable < self.config.min_history:
            times += declared_times(rule, since, now)
        pattern = await asyncio.to_thread(learn, times, now, self.config) if times else None
        self._patterns[feed.id] = (now, rule, (pattern, usable, last))
        return pattern, usable, last


def observed(published: Published, max_interval: float) -> datetime | None:
    """When an item was most likely published: its stated time, unless that time cannot be right.

    A time in the future (a wrong time zone, a scheduled post) or, for an item the bot found by polling,
    a time long before it was first seen (a date-only stamp at midnight, a backdated post) is replaced by
    the time the bot first saw it. Items of the first fetch only have their stated time.
    """
    stated, seen = published.published_at, published.first_seen_at
    if stated is None:
        return None if published.first_run else seen
    if stated > seen + timedelta(minutes=5):
        return seen
    if not published.first_run and (seen - stated).total_seconds() > 2 * max_interval:
        return seen
    return stated
