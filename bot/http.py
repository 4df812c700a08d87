"""The one shared aiohttp session for everything the bot fetches (feeds, transcripts)."""

from __future__ import annotations

import aiohttp

from bot import __version__
from bot.settings import Settings

USER_AGENT = (
    f"AIDailyBriefCommunityBot/{__version__} (+https://github.com/aidailybrief/community-bot; "
    "Discord community feed reader)"
)


def create_http_session(settings: Settings) -> aiohttp.ClientSession:
    """A session with a descriptive User-Agent and bounded timeouts; callers add per-request limits."""
    timeout = aiohttp.ClientTimeout(total=settings.feed_timeout, sock_connect=10)
    return aiohttp.ClientSession(
        timeout=timeout,
        headers={"User-Agent": USER_AGENT},
        auto_decompress=True,
        trust_env=False,
    )
