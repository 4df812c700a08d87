"""The one shared aiohttp session for everything the bot fetches (feeds, transcripts).

Its connector resolves names through the SSRF guard (`bot.feeds.ssrf.GuardedResolver`), so whatever uses
this session connects only to public addresses unless FEED_ALLOW_PRIVATE_HOSTS=true. Fetch through
`bot.feeds.fetch.Fetcher` (`create_fetcher`), which adds the per-request limits and re-checks redirects.
"""

from __future__ import annotations

import aiohttp

from bot import __version__
from bot.feeds.fetch import Fetcher, build_session
from bot.settings import Settings

USER_AGENT = (
    f"AIDailyBriefCommunityBot/{__version__} (+https://github.com/aidailybrief/community-bot; "
    "Discord community feed reader)"
)


def create_http_session(settings: Settings) -> aiohttp.ClientSession:
    """A session with a descriptive User-Agent, bounded timeouts and the SSRF guard in its connector."""
    return build_session(
        allow_private=settings.feed_allow_private_hosts,
        user_agent=USER_AGENT,
        timeout=settings.feed_timeout,
    )


def create_fetcher(session: aiohttp.ClientSession, settings: Settings) -> Fetcher:
    """The guarded fetcher over the shared session, with the configured size and time limits."""
    return Fetcher(
        session,
        allow_private=settings.feed_allow_private_hosts,
        max_bytes=settings.feed_max_bytes,
        timeout=settings.feed_timeout,
    )
