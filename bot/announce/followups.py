"""The other capabilities as the announcement pipeline calls them: the thread tracker and the digests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.announce.pipeline import ReadyDigest
from bot.digest.render import render_digest_embed, render_digest_line
from bot.digest.service import DigestPending
from bot.timeutil import utcnow

if TYPE_CHECKING:
    from bot.digest.service import DigestService
    from bot.feeds.models import StoredItem
    from bot.threads.tracker import ThreadTracker


class TrackerAdapter:
    """The thread-tracking capability's `ThreadTracker.track_thread`, as the pipeline calls it."""

    def __init__(self, tracker: ThreadTracker) -> None:
        self.tracker = tracker

    async def track(
        self,
        *,
        thread_id: int,
        guild_id: int,
        parent_id: int | None,
        name: str,
        item_id: int,
        tags: list[str],
    ) -> None:
        await self.tracker.track_thread(
            thread_id, guild_id, parent_id, name=name, created_at=utcnow(), item_id=item_id, tags=tags
        )


class DigestAdapter:
    """The digest capability's `DigestService.ensure_digest` and renderers, as the pipeline needs them."""

    def __init__(self, service: DigestService) -> None:
        self.service = service

    async def digest(self, item: StoredItem) -> ReadyDigest | None:
        """The item's digest; None (asked again later) while another process of the fleet is making it."""
        try:
            digest = await self.service.ensure_digest(item)
        except DigestPending:
            return None
        return ReadyDigest(
            embed=render_digest_embed(digest, item), line=render_digest_line(digest), poll=digest.poll
        )
