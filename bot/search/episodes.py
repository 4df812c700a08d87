"""What `/latest` and `/episode` show: an episode's card as one guild sees it, and its discussion thread."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.search.models import EpisodeCard, FollowedFeed
    from bot.store import Store
    from bot.threads.models import TrackedThread


class EpisodeCards:
    """Reads episode cards, always scoped to a guild (an item of a feed it does not follow is not found)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def card(self, guild_id: int, item_id: int) -> EpisodeCard | None:
        return await self.store.cards.card(guild_id, item_id)

    async def latest(self, guild_id: int, feed_id: int | None = None) -> EpisodeCard | None:
        """The newest episode or issue of the guild's feeds (of one feed when `feed_id` is given)."""
        return await self.store.cards.latest(guild_id, feed_id)

    async def followed_feeds(self, guild_id: int) -> list[FollowedFeed]:
        return await self.store.cards.followed_feeds(guild_id)

    async def thread(self, guild_id: int, item_id: int) -> TrackedThread | None:
        """The episode's discussion thread in this guild, or None."""
        return await self.store.threads.thread_for_item(guild_id, item_id)
