"""The thread-tracking capability's use cases that read or configure, beside the `ThreadTracker` that
counts: what `/threads` lists, the episode a member picks, reconciliation's reads, pruning, and the
weekly post's settings and contents."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from bot.threads.hot import WINDOW, rank_hot
from bot.threads.weekly import build_weekly

if TYPE_CHECKING:
    from bot.store.threads import ThreadRepo
    from bot.threads.models import PruneResult, TrackedParent, TrackedThread, WeeklyConfig
    from bot.threads.weekly import EpisodeSource, PollResultsSource, WeeklyDigest

View = Literal["hot", "recent", "episode"]


class ThreadsService:
    """Reads and settings of tracked threads, always within one guild."""

    def __init__(self, repo: ThreadRepo) -> None:
        self.repo = repo

    async def listing(
        self, guild_id: int, view: View, *, now: datetime, limit: int, item_id: int | None = None
    ) -> list[TrackedThread]:
        """The threads `/threads` shows: an episode's, the latest, or the hot ones (ranked)."""
        if view == "episode" and item_id is not None:
            return await self.repo.threads_for_item(guild_id, item_id)
        if view == "recent":
            return await self.repo.recent(guild_id, limit)
        hot = rank_hot(await self.repo.activity_since(guild_id, now - WINDOW), now, limit)
        return [entry.thread for entry in hot]

    async def episode_choices(self, guild_id: int, text: str, limit: int = 25) -> list[tuple[int, str]]:
        """Episodes with a tracked thread here whose title matches `text`: (item id, title)."""
        return await self.repo.episode_choices(guild_id, text[:100], limit=limit)

    async def has_threads(self, guild_id: int, item_id: int) -> bool:
        return bool(await self.repo.threads_for_item(guild_id, item_id))

    async def in_guild(self, guild_id: int) -> list[TrackedThread]:
        return await self.repo.in_guild(guild_id)

    async def archived_least_checked(self, guild_id: int, limit: int) -> list[TrackedThread]:
        return await self.repo.archived_least_checked(guild_id, limit)

    async def prune(self, *, activity_before: datetime, dormant_before: datetime) -> PruneResult:
        return await self.repo.prune(activity_before=activity_before, dormant_before=dormant_before)

    async def parents(self, guild_id: int) -> list[TrackedParent]:
        return await self.repo.parents(guild_id)

    async def weekly(self, guild_id: int | None = None) -> list[WeeklyConfig]:
        """The weekly post's settings (of one guild, or of every guild that has one)."""
        return await self.repo.weekly(guild_id)

    async def set_weekly(
        self, guild_id: int, *, channel_id: int, weekday: int, hour: int, configured_by: int | None
    ) -> None:
        await self.repo.set_weekly(
            guild_id, channel_id=channel_id, weekday=weekday, hour=hour, configured_by=configured_by
        )

    async def clear_weekly(self, guild_id: int) -> bool:
        return await self.repo.clear_weekly(guild_id)

    async def mark_weekly_posted(self, guild_id: int, week: str, message_id: int, at: datetime) -> None:
        await self.repo.mark_weekly_posted(guild_id, week, message_id, at)

    async def compose_weekly(
        self,
        guild_id: int,
        end: datetime,
        *,
        episodes: EpisodeSource | None,
        polls: PollResultsSource | None,
        visible: Callable[[TrackedThread], bool],
    ) -> WeeklyDigest:
        """The weekly post covering the 7 days before `end`."""
        return await build_weekly(self.repo, guild_id, end, episodes=episodes, polls=polls, visible=visible)
