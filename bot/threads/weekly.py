"""The weekly "hot discussions" post: when it is due, and what it says.

Moderators choose a weekday and an hour (UTC). The post covering the 7 days before a slot goes out once
the slot has passed, at most once per ISO week per guild: the week posted is recorded, and the message is
sent with a nonce derived from the guild and the week, so a resend after a crash returns the same message.
A slot missed by more than `GRACE` (the bot was down) is skipped rather than posted days late; a slot
before the moment of configuration is never posted (setting it up on Wednesday for Monday waits until the
next Monday).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from bot.threads.models import ThreadActivity, TrackedThread, WeeklyConfig

if TYPE_CHECKING:
    from bot.store.threads import ThreadRepo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
GRACE = timedelta(hours=24)
WEEK = timedelta(days=7)
TOP_THREADS = 5


def latest_slot(now: datetime, weekday: int, hour: int) -> datetime:
    """The latest moment at or before `now` falling on `weekday` (0 = Monday) at `hour`:00 UTC."""
    today = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    slot = today - timedelta(days=(now.weekday() - weekday) % 7)
    return slot if slot <= now else slot - WEEK


def next_slot(now: datetime, weekday: int, hour: int) -> datetime:
    """The first slot strictly after `now`."""
    return latest_slot(now, weekday, hour) + WEEK


def week_key(slot: datetime) -> str:
    """The ISO week of a slot, e.g. "2026-W48": the unit of "at most once a week"."""
    year, week, _ = slot.isocalendar()
    return f"{year}-W{week:02d}"


def due_slot(config: WeeklyConfig, now: datetime) -> datetime | None:
    """The slot whose post should go out now, or None (not yet, already posted, or missed too long ago)."""
    slot = latest_slot(now, config.weekday, config.hour)
    if slot < config.configured_at or now - slot > GRACE:
        return None
    if config.last_week == week_key(slot):
        return None
    return slot


def weekly_nonce(guild_id: int, week: str) -> str:
    """A deterministic nonce (Discord allows 25 characters) so a repeated send returns the first message."""
    return hashlib.sha256(f"threads-weekly:{guild_id}:{week}".encode()).hexdigest()[:25]


@dataclass(frozen=True, slots=True)
class WeeklyEpisode:
    """An episode published in the week (from the feeds, or from its announcement thread)."""

    item_id: int
    title: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class WeeklyPollResult:
    """A poll that closed (or ran) in the week, with its answers and votes."""

    question: str
    answers: tuple[tuple[str, int], ...]
    url: str | None = None

    @property
    def total_votes(self) -> int:
        return sum(votes for _, votes in self.answers)


class EpisodeSource(Protocol):
    """Where the week's episodes come from (the feeds capability); optional."""

    async def episodes_between(
        self, guild_id: int, start: datetime, end: datetime
    ) -> Sequence[WeeklyEpisode]: ...


class PollResultsSource(Protocol):
    """Where the week's poll results come from (the polls capability); optional."""

    async def results_between(
        self, guild_id: int, start: datetime, end: datetime
    ) -> Sequence[WeeklyPollResult]: ...


@dataclass(frozen=True, slots=True)
class EpisodeThreads:
    episode: WeeklyEpisode
    threads: list[ThreadActivity]


@dataclass(frozen=True, slots=True)
class WeeklyDigest:
    guild_id: int
    week: str
    start: datetime
    end: datetime
    episodes: list[EpisodeThreads] = field(default_factory=list)
    top: list[ThreadActivity] = field(default_factory=list)
    polls: list[WeeklyPollResult] = field(default_factory=list)
    polls_available: bool = False

    @property
    def empty(self) -> bool:
        return not (self.episodes or self.top or self.polls)


async def build_weekly(
    repo: ThreadRepo,
    guild_id: int,
    slot: datetime,
    *,
    episodes: EpisodeSource | None = None,
    polls: PollResultsSource | None = None,
    visible: Callable[[TrackedThread], bool] | None = None,
) -> WeeklyDigest:
    """Gather the week before `slot`: its episodes with their threads, the busiest threads, poll results.

    `visible` filters the threads that may be listed (the cog keeps threads of channels members cannot see
    out of a public post).
    """
    start, end = slot - WEEK, slot
    shown = visible or (lambda thread: True)
    window = [a for a in await repo.activity_between(guild_id, start, end, limit=500) if shown(a.thread)]
    by_thread = {activity.thread.thread_id: activity.messages for activity in window}

    found: list[WeeklyEpisode] = (
        list(await episodes.episodes_between(guild_id, start, end)) if episodes else []
    )
    if not found:
        found = _episodes_from_threads(await repo.episode_threads_created_between(guild_id, start, end))
    episode_threads = []
    for episode in found:
        threads = [t for t in await repo.threads_for_item(guild_id, episode.item_id) if shown(t)]
        activity = [ThreadActivity(thread, by_thread.get(thread.thread_id, 0)) for thread in threads]
        episode_threads.append(EpisodeThreads(episode, activity[:3]))

    results = list(await polls.results_between(guild_id, start, end)) if polls else []
    return WeeklyDigest(
        guild_id=guild_id,
        week=week_key(slot),
        start=start,
        end=end,
        episodes=episode_threads,
        top=window[:TOP_THREADS],
        polls=results,
        polls_available=polls is not None,
    )


def _episodes_from_threads(threads: Sequence[TrackedThread]) -> list[WeeklyEpisode]:
    seen: dict[int, WeeklyEpisode] = {}
    for thread in threads:
        if thread.item_id is not None and thread.item_id not in seen:
            seen[thread.item_id] = WeeklyEpisode(item_id=thread.item_id, title=thread.name)
    return list(seen.values())
