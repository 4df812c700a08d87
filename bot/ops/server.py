"""One small aiohttp server in the bot's process, for operators and WebSub hubs. Off unless HTTP_PORT is set.

    GET  /healthz                 200 while the process runs (liveness)
    GET  /readyz                  200, or 503 with the reasons (gateway, database, feed worker)
    GET  /metrics                 Prometheus text format (`bot.metrics`)
    GET  /websub/<token>          a hub verifying a (un)subscription: the challenge is echoed when expected
    POST /websub/<token>          a hub's notification: signature checked as the body streams in

Bound to HTTP_HOST (127.0.0.1 by default). Nothing in a response names a guild, channel, feed URL or
secret. Request bodies are bounded: only notifications have one worth reading, up to FEED_MAX_BYTES,
hashed as it arrives and never kept. A notification that does not verify is acknowledged (202, as WebSub
allows, so the signature cannot be probed) and ignored: no fetch, no announcement.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.metrics import METRICS
from bot.ops.health import readiness_problems, refresh_gauges
from bot.websub.signature import BodySigner
from bot.websub.subscriber import CALLBACK_PATH

if TYPE_CHECKING:
    import discord

    from bot.feeds.worker import FeedWorker
    from bot.settings import Settings
    from bot.store import Store
    from bot.websub.subscriber import WebSubService

log = logging.getLogger(__name__)

SMALL_BODY = 4096  # every request but a notification: nothing to read
BODY_SECONDS = 30.0  # a notification body must arrive within this time
CHUNK = 64 * 1024


class HTTPServerError(Exception):
    """The HTTP server could not start; the message names the setting to change."""


class OpsServer:
    """The HTTP server. `websub` is the push subscriber when push is on; without it callbacks are 404."""

    def __init__(
        self,
        client: discord.Client,
        settings: Settings,
        store: Store,
        worker: FeedWorker | None,
        websub: WebSubService | None = None,
    ) -> None:
        self.client = client
        self.settings = settings
        self.store = store
        self.worker = worker
        self.websub = websub
        self.port: int | None = None
        self._runner: web.AppRunner | None = None

    @property
    def max_body(self) -> int:
        return self.settings.feed_max_bytes

    def app(self) -> web.Application:
        app = web.Application(client_max_size=SMALL_BODY)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get(CALLBACK_PATH + "{token}", self._verify)
        app.router.add_post(CALLBACK_PATH + "{token}", self._notify)
        app.on_response_prepare.append(_headers)
        return app

    async def start(self) -> None:
        """Listen on HTTP_HOST:HTTP_PORT (a no-op when HTTP_PORT is unset); raises when the port is taken."""
        settings = self.settings
        if settings.http_port is None or self._runner is not None:
            return
        runner = web.AppRunner(self.app(), access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, settings.http_host, settings.http_port).start()
        except OSError as exc:
            await runner.cleanup()
            where = f"{settings.http_host}:{settings.http_port}"
            raise HTTPServerError(f"HTTP_HOST/HTTP_PORT: cannot listen on {where} ({exc.strerror})") from None
        self._runner = runner
        self.port = runner.addresses[0][1]
        log.info("HTTP server listening on %s:%s", settings.http_host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            log.info("HTTP server stopped")

    # --- operators -------------------------------------------------------------------------------------

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _readyz(self, request: web.Request) -> web.Response:
        problems = await readiness_problems(self.client, self.store, self.worker)
        if problems:
            return web.json_response({"status": "not ready", "problems": problems}, status=503)
        return web.json_response({"status": "ready"})

    async def _metrics(self, request: web.Request) -> web.Response:
        await refresh_gauges(self.client, self.store)
        response = web.Response(body=METRICS.render())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    # --- WebSub ----------------------------------------------------------------------------------------

    async def _verify(self, request: web.Request) -> web.Response:
        if self.websub is None:
            return web.Response(status=404, text="not found")
        status, body = await self.websub.verify_intent(request.match_info["token"], request.query)
        return web.Response(status=status, text=body)

    async def _notify(self, request: web.Request) -> web.Response:
        sub = await self.websub.notification_target(request.match_info["token"]) if self.websub else None
        if self.websub is None or sub is None:
            METRICS.websub_notifications.labels(result="unknown").inc()
            return web.Response(status=404, text="not found")
        if request.content_length is not None and request.content_length > self.max_body:
            METRICS.websub_notifications.labels(result="too_large").inc()
            return web.Response(status=413, text="body too large")
        signer = BodySigner(sub.secret, request.headers.get("X-Hub-Signature"))
        try:
            async with asyncio.timeout(BODY_SECONDS):
                size = 0
                async for chunk in request.content.iter_chunked(CHUNK):
                    size += len(chunk)
                    if size > self.max_body:
                        METRICS.websub_notifications.labels(result="too_large").inc()
                        return web.Response(status=413, text="body too large")
                    signer.update(chunk)
        except TimeoutError:
            METRICS.websub_notifications.labels(result="timeout").inc()
            return web.Response(status=408, text="body too slow")
        if not signer.verify():
            METRICS.websub_notifications.labels(result="bad_signature").inc()
            log.warning("WebSub: ignored a notification for feed %s with a bad signature", sub.feed_id)
            return web.Response(status=202, text="accepted")
        METRICS.websub_notifications.labels(result="accepted").inc()
        await self.websub.accept_notification(sub)
        return web.Response(status=202, text="accepted")


async def _headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Server"] = "aidb-bot"
