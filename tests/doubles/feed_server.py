"""A feed server double: an aiohttp server on 127.0.0.1 that serves what a test tells it to.

Use it for feeds, transcripts and anything else the bot fetches over HTTP::

    async with FeedServer() as server:
        server.set_feed("/podcast.xml", body, etag='"v1"', last_modified="Wed, 01 Jan 2025 00:00:00 GMT")
        url = server.url("/podcast.xml")
        ...
        server.requests_for("/podcast.xml")[-1].headers["If-None-Match"]   # what the client sent

Per path (`set_route` takes every option; the helpers cover the usual cases):
- `set_feed(path, body, etag=, last_modified=, gzip=, content_type=, headers=)`: a 200 with that body;
  a matching `If-None-Match` / `If-Modified-Since` gets a 304. `gzip=True` compresses when the client
  accepts it (`Content-Encoding: gzip`).
- `set_status(path, status, body=b"", retry_after=)`: any status (5xx, 404, 429 with `Retry-After`…).
- `fail_next(path, status, times=1, retry_after=)`: inject failures before the normal answer resumes.
- `set_redirect(path, location, status=301)`: a redirect to a path on this server or any absolute URL
  (e.g. `http://169.254.169.254/` to test the SSRF guard).
- `set_slow(path, body, chunk_delay=, chunk_size=)`: the body dribbles out in chunks.
- `set_infinite(path)`: a body that never ends (bounded at 256 MB and 60 s so nothing runs away).
- `set_oversize(path, size)`: a 200 whose body is `size` bytes, with or without a Content-Length.
- `requests` / `requests_for(path)`: every request received (method, path, query, headers), in order.
- `clear()`: forget routes and requests. Unknown paths get a 404.
"""

from __future__ import annotations

import asyncio
import gzip as gziplib
from collections import deque
from dataclasses import dataclass, field

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

INFINITE_LIMIT = 256 * 1024 * 1024
INFINITE_SECONDS = 60.0


@dataclass
class Route:
    """How the server answers one path."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    gzip: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    redirect_to: str | None = None
    chunk_delay: float = 0.0
    chunk_size: int = 1024
    infinite: bool = False
    send_length: bool = True
    failures: deque[tuple[int, str | None]] = field(default_factory=deque)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: str
    headers: CIMultiDictProxy[str]


class FeedServer:
    """The double itself; start with `async with FeedServer() as server` (or `await start()`/`stop()`)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.routes: dict[str, Route] = {}
        self.requests: list[RecordedRequest] = []
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> FeedServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    # --- configuring -----------------------------------------------------------------------------------

    def set_route(self, path: str, route: Route) -> Route:
        self.routes[path] = route
        return route

    def set_feed(
        self,
        path: str,
        body: bytes | str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        gzip: bool = False,
        content_type: str = "application/rss+xml; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> Route:
        data = body.encode() if isinstance(body, str) else body
        return self.set_route(
            path,
            Route(
                body=data,
                etag=etag,
                last_modified=last_modified,
                gzip=gzip,
                content_type=content_type,
                headers=dict(headers or {}),
            ),
        )

    def set_status(
        self, path: str, status: int, body: bytes = b"", *, retry_after: str | None = None
    ) -> Route:
        headers = {"Retry-After": retry_after} if retry_after else {}
        return self.set_route(
            path, Route(body=body, status=status, headers=headers, content_type="text/plain")
        )

    def fail_next(self, path: str, status: int, times: int = 1, *, retry_after: str | None = None) -> None:
        route = self.routes.setdefault(path, Route(status=404))
        route.failures.extend([(status, retry_after)] * times)

    def set_redirect(self, path: str, location: str, status: int = 301) -> Route:
        return self.set_route(path, Route(status=status, redirect_to=location))

    def set_slow(self, path: str, body: bytes, *, chunk_delay: float = 0.2, chunk_size: int = 64) -> Route:
        return self.set_route(path, Route(body=body, chunk_delay=chunk_delay, chunk_size=chunk_size))

    def set_infinite(self, path: str, *, chunk_size: int = 64 * 1024) -> Route:
        return self.set_route(path, Route(infinite=True, chunk_size=chunk_size, send_length=False))

    def set_oversize(self, path: str, size: int, *, send_length: bool = True) -> Route:
        body = b"<rss><channel><title>big</title>" + b" " * max(0, size - 60) + b"</channel></rss>"
        return self.set_route(path, Route(body=body, send_length=send_length, chunk_size=64 * 1024))

    def requests_for(self, path: str) -> list[RecordedRequest]:
        return [request for request in self.requests if request.path == path]

    def clear(self) -> None:
        self.routes.clear()
        self.requests.clear()

    # --- serving ---------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(
            RecordedRequest(request.method, request.path, request.query_string, request.headers)
        )
        route = self.routes.get(request.path)
        if route is None:
            return web.Response(status=404, text="no such feed")
        if route.failures:
            status, retry_after = route.failures.popleft()
            injected = {"Retry-After": retry_after} if retry_after else {}
            return web.Response(status=status, text=f"injected {status}", headers=injected)
        headers: CIMultiDict[str] = CIMultiDict(route.headers)
        if route.redirect_to is not None:
            headers["Location"] = route.redirect_to
            return web.Response(status=route.status, headers=headers)
        if route.status != 200:
            return web.Response(status=route.status, body=route.body, headers=headers)
        if route.etag:
            headers["ETag"] = route.etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        if self._not_modified(request, route):
            return web.Response(status=304, headers=headers)
        headers["Content-Type"] = route.content_type
        body = route.body
        if route.gzip and "gzip" in request.headers.get("Accept-Encoding", ""):
            body = gziplib.compress(body)
            headers["Content-Encoding"] = "gzip"
        if route.infinite or route.chunk_delay or not route.send_length:
            return await self._stream(request, route, body, headers)
        return web.Response(body=body, headers=headers)

    @staticmethod
    def _not_modified(request: web.Request, route: Route) -> bool:
        sent_etag = request.headers.get("If-None-Match")
        if sent_etag is not None and route.etag is not None:
            return sent_etag == route.etag
        sent_date = request.headers.get("If-Modified-Since")
        return sent_date is not None and route.last_modified is not None and sent_date == route.last_modified

    async def _stream(
        self, request: web.Request, route: Route, body: bytes, headers: CIMultiDict[str]
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers=headers)
        if route.send_length and not route.infinite:
            response.content_length = len(body)
        await response.prepare(request)
        try:
            if route.infinite:
                await self._forever(response, route.chunk_size)
            else:
                for start in range(0, len(body), route.chunk_size):
                    await response.write(body[start : start + route.chunk_size])
                    if route.chunk_delay:
                        await asyncio.sleep(route.chunk_delay)
            await response.write_eof()
        except (ConnectionResetError, asyncio.CancelledError, RuntimeError):
            pass
        return response

    @staticmethod
    async def _forever(response: web.StreamResponse, chunk_size: int) -> None:
        chunk = b"<item>" + b"x" * max(0, chunk_size - 13) + b"</item>"
        sent = 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + INFINITE_SECONDS
        while sent < INFINITE_LIMIT and loop.time() < deadline:
            await response.write(chunk)
            sent += len(chunk)
            await asyncio.sleep(0)
