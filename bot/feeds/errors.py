"""Why a feed could not be fetched or read: one exception class per reason, each with a one-line message."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.feeds.models import Feed


class FetchError(Exception):
    """A source could not be fetched or read. `reason` is one line meant for a moderator."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.reason


class BadURL(FetchError):
    """Not an http(s) URL with a host."""


class RefusedAddress(FetchError):
    """The host is (or resolves to, or redirects to) a loopback, private, link-local or metadata address."""


class TooLarge(FetchError):
    """The body is larger than the configured cap."""


class Timeout(FetchError):
    """Connecting or reading the body took too long."""


class ConnectionFailed(FetchError):
    """DNS failure, connection refused or reset, TLS error."""


class HTTPStatus(FetchError):
    """The server answered with an error status."""

    def __init__(self, status: int, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason, retry_after=retry_after)
        self.status = status


class TooManyRedirects(FetchError):
    """More redirects than allowed, or a redirect loop."""


class NotAFeed(FetchError):
    """The body is not an RSS or Atom feed (an HTML page, an empty body, garbage)."""


class FeedExists(Exception):
    """A feed with that URL is already stored."""

    def __init__(self, feed: Feed) -> None:
        super().__init__(f"the feed {feed.url} is already added")
        self.feed = feed
