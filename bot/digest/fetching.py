"""Transcripts are fetched by the feeds' guarded fetcher (SSRF guard, size and time caps, redirects)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.digest.source import TRANSCRIPT_MAX_BYTES, TranscriptFetcher

if TYPE_CHECKING:
    import aiohttp

    from bot.settings import Settings


def make_fetcher(settings: Settings, session: aiohttp.ClientSession) -> TranscriptFetcher:
    """Transcripts are fetched exactly like feeds: private hosts refused unless the operator allows them."""
    from bot.feeds.fetch import Fetcher

    return Fetcher(
        session,
        allow_private=settings.feed_allow_private_hosts,
        max_bytes=TRANSCRIPT_MAX_BYTES,
        timeout=settings.feed_timeout,
    )
