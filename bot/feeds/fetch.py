"""The guarded fetcher: conditional GET, size and time caps, manual redirects each re-checked by the guard.

Used for feeds (the worker, the preview) and for transcripts (the digest capability):

    fetcher = Fetcher(session, allow_private=False, max_bytes=10_000_000, timeout=30)
    result = await fetcher.fetch(url, etag=feed.etag, last_modified=feed.last_modified)
    if result.not_modified: ...          # 304: nothing new, a success
    result.body, result.permanent_url    # a 301/308 chain from the first hop moves the feed

Every failure is a `FetchError` subclass whose `reason` is one line for a moderator.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import UTC
from urllib.parse import urljoin

import aiohttp
from aiohttp.abc import AbstractResolver

from bot.feeds.errors import (
    ConnectionFailed,
    FetchError,
    HTTPStatus,
    RefusedAddress,
    Timeout,
    TooLarge,
    TooManyRedirects,
)
from bot.feeds.hints import max_age
from bot.feeds.ssrf import GuardedResolver, check_host_literal, check_url
from bot.timeutil import utcnow

log = logging.getLogger(__name__)

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"
)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_STATUSES = frozenset({301, 308})
MAX_RETRY_AFTER = 24 * 3600.0
_STATUS_HINTS = {
    401: "the feed needs a login",
    403: "the host refused the request (it may block bots)",
    404: "the feed was not found",
    410: "the feed is gone for good",
    429: "the host is rate-limiting us",
}


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What a fetch returned. `status` is 200-299 or 304 (errors raise)."""

    status: int
    body: bytes
    content_type: str | None
    url: str
    etag: str | None
    last_modified: str | None
    permanent_url: str | None = None
    retry_after: float | None = None
    max_age: float | None = None  # Cache-Control max-age: polling sooner only reads a cached copy

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date), capped at a day."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²" passes isdigit() but float() refuses it
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, min((when - utcnow()).total_seconds(), MAX_RETRY_AFTER))


def human_bytes(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size = size / 1024  # type: ignore[assignment]
    return f"{size} bytes"  # pragma: no cover


def build_session(
    *,
    allow_private: bool,
    user_agent: str,
    resolver: AbstractResolver | None = None,
    allowed_hosts: Collection[str] = (),
    timeout: float = 30.0,
    connect_timeout: float = 10.0,
) -> aiohttp.ClientSession:
    """A session whose connector only connects to addresses vetted by `GuardedResolver`."""
    connector = aiohttp.TCPConnector(
        resolver=GuardedResolver(resolver, allow_private=allow_private, allowed=allowed_hosts),
        limit=32,
        ttl_dns_cache=60,
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=timeout, sock_connect=connect_timeout),
        headers={"User-Agent": user_agent},
        auto_decompress=True,
        trust_env=False,
    )


class Fetcher:
    """Fetches one URL at a time through the SSRF guard with every limit applied."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        allow_private: bool = False,
        max_bytes: int = 10 * 1024 * 1024,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        max_redirects: int = 5,
        resolver: AbstractResolver | None = None,
        allowed_hosts: Collection[str] = (),
    ) -> None:
        self.session = session
        self.allow_private = allow_private
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.max_redirects = max_redirects
        self._guard = GuardedResolver(resolver, allow_private=allow_private, allowed=allowed_hosts)

    async def check(self, url: str) -> None:
        """Refuse a URL that the guard would refuse (scheme, literal address, resolved addresses)."""
        _, host, port = check_url(url)
        literal = check_host_literal(host, allow_private=self.allow_private, allowed=self._guard.allowed)
        if literal is None and not self.allow_private:
            try:
                await self._guard.resolve(host, port)
            except RefusedAddress:
                raise
            except OSError as exc:
                raise ConnectionFailed(f"could not resolve the host {host}") from exc

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        max_bytes: int | None = None,
        accept: str = FEED_ACCEPT,
    ) -> FetchResult:
        """GET `url`, following at most `max_redirects` redirects, each hop re-checked by the guard."""
        try:
            async with asyncio.timeout(self.timeout):
                return await self._fetch(url, etag, last_modified, max_bytes or self.max_bytes, accept)
        except TimeoutError:
            raise Timeout(f"no complete answer within {self.timeout:g} s") from None

    async def _fetch(
        self, url: str, etag: str | None, last_modified: str | None, cap: int, accept: str
    ) -> FetchResult:
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        seen = {url}
        permanent: str | None = None
        all_permanent = True
        current = url
        for _hop in range(self.max_redirects + 1):
            await self.check(current)
            answer = await self._request(current, headers, cap)
            if isinstance(answer, FetchResult):
                return replace(answer, permanent_url=permanent)
            status, location = answer
            target = urljoin(current, location)
            if status in PERMANENT_STATUSES and all_permanent:
                permanent = target
            else:
                all_permanent = False
            if target in seen:
                raise TooManyRedirects("the redirects loop back to an address already visited")
            seen.add(target)
            log.debug("redirect %s %s -> %s", status, current, target)
            current = target
        raise TooManyRedirects(f"more than {self.max_redirects} redirects")

    async def _request(self, url: str, headers: dict[str, str], cap: int) -> FetchResult | tuple[int, str]:
        """One hop: the result, or (status, Location) for a redirect to follow."""
        timeout = aiohttp.ClientTimeout(
            total=self.timeout, sock_connect=self.connect_timeout, sock_read=self.timeout
        )
        try:
            async with self.session.get(
                url, headers=headers, allow_redirects=False, timeout=timeout
            ) as response:
                status = response.status
                if status in REDIRECT_STATUSES:
                    location = response.headers.get("Location")
                    if not location:
                        raise HTTPStatus(status, f"HTTP {status} redirect without a Location")
                    return status, location
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                if status == 304:
                    body = b""
                elif 200 <= status < 300:
                    body = await self._read(response, cap)
                else:
                    hint = _STATUS_HINTS.get(status, "server error" if status >= 500 else "request refused")
                    raise HTTPStatus(
                        status,
                        f"HTTP {status} {response.reason or ''}".strip() + f": {hint}",
                        retry_after=retry_after,
                    )
                return FetchResult(
                    status=status,
                    body=body,
                    content_type=response.headers.get("Content-Type"),
                    url=url,
                    etag=response.headers.get("ETag"),
                    last_modified=response.headers.get("Last-Modified"),
                    retry_after=retry_after,
                    max_age=max_age(response.headers.get("Cache-Control")),
                )
        except FetchError:
            raise
        except aiohttp.ClientConnectorDNSError:
            raise ConnectionFailed("could not resolve the host name") from None
        except aiohttp.ClientConnectorError as exc:
            raise ConnectionFailed(f"could not connect to {exc.host}:{exc.port} ({exc.strerror})") from None
        except aiohttp.ClientPayloadError:
            raise ConnectionFailed("the body was cut off or badly compressed") from None
        except aiohttp.TooManyRedirects:
            raise TooManyRedirects("too many redirects") from None
        except aiohttp.InvalidURL:
            raise ConnectionFailed("the URL is not valid") from None
        except aiohttp.ClientError as exc:
            raise ConnectionFailed(f"the connection failed ({type(exc).__name__})") from None
        except TimeoutError:
            raise Timeout(f"no complete answer within {self.timeout:g} s") from None

    async def _read(self, response: aiohttp.ClientResponse, cap: int) -> bytes:
        declared = response.content_length
        if declared is not None and declared > cap:
            raise TooLarge(f"the body is {human_bytes(declared)}, more than the {human_bytes(cap)} allowed")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > cap:
                raise TooLarge(f"the body is larger than the {human_bytes(cap)} allowed")
            chunks.append(chunk)
        return b"".join(chunks)
