"""Feeds, their fetch state, and the items (episodes, issues) seen in them (issue 4)."""

from __future__ import annotations

from bot.store.base import Repo


class FeedRepo(Repo):
    """Filled in by the capability that owns these tables."""

    async def followed_titles(self, guild_id: int | None) -> list[str]:
        """Titles of the feeds this guild follows (replaced when the feeds schema lands)."""
        return []
