"""``DiscordDouble``: one aiohttp server on 127.0.0.1 serving REST v10 and the gateway websocket."""

from __future__ import annotations

import asyncio
import logging
import socket
import traceback
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from . import payloads
from .actions import Actions
from .commands import CommandStore
from .errors import DiscordHTTPError
from .faults import Fault, FaultRegistry, Matcher, compile_pattern, standard_headers
from .gateway import Gateway
from .interactions import InteractionFactory
from .messages import MessageBuilder
from .models import Attachment, Message, as_int
from .records import InteractionRecord
from .rest_channels import ChannelRoutes
from .rest_guilds import GuildRoutes
from .rest_interactions import InteractionRoutes
from .rest_messages import MessageRoutes
from .rest_threads import ThreadRoutes
from .scenario import Scenario
from .state import World
from .transport import ApiRequest, RecordedRequest, json_response, parse_body

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
Handler = Callable[[ApiRequest], Awaitable[Any]]
Route = tuple[str, str, Handler]
#: Application flags of a small unverified app with all three privileged intents switched on.
DEFAULT_APPLICATION_FLAGS = (1 << 13) | (1 << 15) | (1 << 19)
_UNAUTHENTICATED = ("/interactions/", "/webhooks/{application_id}/{token}")


class DiscordPyPatch:
    """Points discord.py's ``Route.BASE`` and default gateway at the double; ``restore()`` undoes it."""

    def __init__(self, api_base: str, gateway_url: str) -> None:
        import discord.gateway
        import discord.http
        import yarl

        self._route = discord.http.Route
        self._ws = discord.gateway.DiscordWebSocket
        self._saved = (self._route.BASE, self._ws.DEFAULT_GATEWAY)
        self._route.BASE = api_base
        self._ws.DEFAULT_GATEWAY = yarl.URL(gateway_url)

    def restore(self) -> None:
        self._route.BASE, self._ws.DEFAULT_GATEWAY = self._saved

    __call__ = restore

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.restore()


class DiscordDouble(Scenario, Actions):
    """A fake Discord for the real discord.py client. See ``README.md`` beside this file."""

    def __init__(
        self,
        *,
        token: str = "double-bot-token",  # noqa: S107 - a fake token for a fake Discord
        bot_name: str = "TestBot",
        heartbeat_interval: float = 10.0,
        interaction_timeout: float = 3.0,
        attachment_size_limit: int = 10 * 1024 * 1024,
    ) -> None:
        self.token = token
        self.world = World(bot_name=bot_name)
        self.developer = self.world.add_user("developer")
        self.application_flags = DEFAULT_APPLICATION_FLAGS
        #: Seconds the bot has to acknowledge an interaction (Discord: 3).
        self.interaction_timeout = interaction_timeout
        self.attachment_size_limit = attachment_size_limit
        self.requests: list[RecordedRequest] = []
        self.unknown_routes: list[RecordedRequest] = []
        self.warnings: list[str] = []
        self.expected_error_codes: set[int] = set()
        #: Exceptions inside the double itself (with tracebacks): always a failure of the test run.
        self.internal_errors: list[str] = []
        self.interactions: dict[int, InteractionRecord] = {}
        self.attachment_store: dict[int, Attachment] = {}
        self.faults = FaultRegistry()
        self.gateway = Gateway(self, heartbeat_interval=heartbeat_interval)
        self.builder = MessageBuilder(self)
        self.command_store = CommandStore(self)
        self.message_routes = MessageRoutes(self)
        self.channel_routes = ChannelRoutes(self)
        self.thread_routes = ThreadRoutes(self)
        self.guild_routes = GuildRoutes(self)
        self.interaction_routes = InteractionRoutes(self)
        self.factory = InteractionFactory(self)
        self.port = 0
        self._cond = asyncio.Condition()
        self._notify_pending = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._timers: list[asyncio.TimerHandle] = []
        self._runner: web.AppRunner | None = None

    # Lifecycle -------------------------------------------------------------------------------------

    async def start(self) -> Self:
        app = web.Application(middlewares=[self._middleware], client_max_size=256 * 1024 * 1024)
        for source in (
            self.command_store,
            self.message_routes,
            self.thread_routes,
            self.channel_routes,
            self.guild_routes,
            self.interaction_routes,
        ):
            for method, path, fn in source.routes():
                app.router.add_route(method, API_PREFIX + path, self._wrap(fn))
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._serve_attachment)
        app.router.add_get("/", self.gateway.handle)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.25, handle_signals=False)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        return self

    async def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        await self.gateway.close_all()
        for task in list(self._tasks):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def http_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """Value for ``discord.http.Route.BASE`` (and ``DISCORD_API_BASE`` for a subprocess bot)."""
        return self.http_base + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """Value for ``DiscordWebSocket.DEFAULT_GATEWAY`` (``DISCORD_GATEWAY_URL``)."""
        return f"ws://127.0.0.1:{self.port}/"

    def apply_to_discord_py(self) -> DiscordPyPatch:
        """Point this process's discord.py at the double. Call the result (or use it as ``with``) to undo."""
        return DiscordPyPatch(self.api_base, self.gateway_url)

    # Change notification ---------------------------------------------------------------------------

    def touch(self) -> None:
        """Something changed: wake every ``wait_for`` so it re-checks its predicate."""
        if self._notify_pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._notify_pending = True
        task = loop.create_task(self._notify())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _notify(self) -> None:
        self._notify_pending = False
        async with self._cond:
            self._cond.notify_all()

    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 5.0, description: str | None = None
    ) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked on every change); returns its value.

        On timeout raises an ``AssertionError`` listing what the bot sent, so failures explain themselves.
        """
        value = predicate()
        if value:
            return value
        try:
            async with self._cond:
                return await asyncio.wait_for(self._cond.wait_for(predicate), timeout)
        except TimeoutError:
            raise AssertionError(
                self.report(f"timed out after {timeout}s waiting for {description or predicate}")
            ) from None

    def report(self, headline: str, *, last: int = 30) -> str:
        lines = [headline, f"REST requests from the bot (last {last} of {len(self.requests)}):"]
        lines += [f"  {r.summary()}" for r in self.requests[-last:]] or ["  (none)"]
        errors = self.client_errors
        if errors:
            lines.append("Requests the double refused (4xx):")
            lines += [f"  {r.summary()}" for r in errors[-last:]]
        if self.unknown_routes:
            lines.append("Routes the double does not implement:")
            lines += [f"  {r.method} {r.path}" for r in self.unknown_routes]
        if self.internal_errors:
            lines.append("Internal errors in the double (please fix the double):")
            lines += [f"  {e}" for e in self.internal_errors]
        if self.warnings:
            lines.append("Warnings:")
            lines += [f"  {w}" for w in self.warnings]
        events = [e.name for e in self.gateway.events[-last:]]
        lines.append(f"Gateway events dispatched (last {last}): {events}")
        return "\n".join(lines)

    def warn(self, text: str) -> None:
        self.warnings.append(text)

    def internal_error(self, where: str, exc: BaseException) -> None:
        trace = "".join(traceback.format_exception(exc))
        self.internal_errors.append(f"{where}: {trace}")
        log.error("Discord double failed handling %s", where, exc_info=exc)

    # Dispatch helpers ------------------------------------------------------------------------------

    def dispatch(self, event: str, data: dict[str, Any], *, guild_id: int | None = None) -> None:
        self.gateway.dispatch(event, data, guild_id=guild_id)

    def emit_message(self, event: str, message: Message) -> None:
        if message.ephemeral:
            self.touch()
            return
        self.dispatch(event, payloads.message(self.world, message, event=True), guild_id=message.guild_id)

    # HTTP ------------------------------------------------------------------------------------------

    def _wrap(self, fn: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handler(request: web.Request) -> web.StreamResponse:
            record: RecordedRequest = request["record"]
            result = await fn(ApiRequest(request, record))
            if result is None:
                record.status = 204
                return web.Response(status=204, headers=standard_headers(record))
            record.status, record.response = 200, result
            return json_response(result, 200, standard_headers(record))

        return handler

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX + "/"):
            return await handler(request)
        resource = request.match_info.route.resource
        template = (
            resource.canonical[len(API_PREFIX) :] if resource is not None else request.path[len(API_PREFIX) :]
        )
        record = RecordedRequest(
            method=request.method,
            path=request.path[len(API_PREFIX) :],
            route=template,
            params=dict(request.match_info),
            query=dict(request.query),
            headers=dict(request.headers),
        )
        request["record"] = record
        self.requests.append(record)
        try:
            record.json, record.files = await parse_body(request)
            if (
                not template.startswith(_UNAUTHENTICATED)
                and template != "/gateway"
                and request.headers.get("Authorization") != f"Bot {self.token}"
            ):
                raise DiscordHTTPError(401, 0, "401: Unauthorized")
            fault = self.faults.take(record)
            if fault is not None:
                record.faulted = True
                if fault.hang:
                    await asyncio.sleep(fault.hang)
                if fault.status is not None:
                    response, record.response = fault.response(record)
                    record.status = response.status
                    return response
            return await handler(request)
        except DiscordHTTPError as exc:
            record.status, record.response = exc.status, exc.body()
            return json_response(record.response, exc.status)
        except web.HTTPException as exc:
            if exc.status not in (404, 405):
                raise
            self.unknown_routes.append(record)
            self.warn(f"unimplemented route: {record.method} {record.path}")
            record.status, record.response = 404, {"message": "404: Not Found", "code": 0}
            return json_response(record.response, 404)
        except Exception as exc:
            # A bug in the double: answer 400 (discord.py would retry a 5xx for seconds) and report it.
            self.internal_error(f"{record.method} {record.path}", exc)
            record.status = 400
            record.response = {"message": f"Discord double internal error: {exc!r}", "code": 0}
            return json_response(record.response, 400)
        finally:
            self.touch()

    async def _serve_attachment(self, request: web.Request) -> web.StreamResponse:
        attachment = self.attachment_store.get(int(request.match_info["attachment_id"]))
        if attachment is None:
            return web.Response(status=404, text="not found")
        return web.Response(
            body=attachment.data, content_type=attachment.content_type or "application/octet-stream"
        )

    # Inspection ------------------------------------------------------------------------------------

    @property
    def client_errors(self) -> list[RecordedRequest]:
        """Requests the double refused with a 4xx that was not injected: bugs the bot would hit live."""
        return [r for r in self.requests if r.status is not None and 400 <= r.status < 500 and not r.faulted]

    def expect_errors(self, *codes: int) -> None:
        """Declare Discord error codes (e.g. 50013) a test provokes on purpose (see ``assert_no_errors``)."""
        self.expected_error_codes.update(codes)

    def unexpected_errors(self) -> list[RecordedRequest]:
        expected = self.expected_error_codes
        return [
            r
            for r in self.client_errors
            if not (isinstance(r.response, dict) and r.response.get("code") in expected)
        ]

    def assert_no_errors(self, *, allow: Callable[[RecordedRequest], bool] | None = None) -> None:
        """Fail if the bot got a 4xx it would also get from Discord (a production bug), or hit a route the
        double lacks. Injected faults, codes declared with ``expect_errors`` and ``allow``-ed requests pass.
        Call it in fixture teardown so every test checks it."""
        bad = [r for r in self.unexpected_errors() if allow is None or not allow(r)]
        if bad or self.unknown_routes or self.internal_errors:
            raise AssertionError(self.report(f"the bot made {len(bad)} failing request(s)"))

    def requests_to(self, pattern: str | Matcher) -> list[RecordedRequest]:
        """Recorded requests matching ``"POST /channels/{channel_id}/messages"`` (see ``inject``)."""
        matcher = compile_pattern(pattern) if isinstance(pattern, str) else pattern
        return [r for r in self.requests if matcher(r)]

    def inject(
        self,
        match: str | Matcher,
        *,
        status: int | None = 429,
        retry_after: float = 0.05,
        times: int | None = 1,
        is_global: bool = False,
        hang: float = 0.0,
        code: int | None = None,
        message: str | None = None,
    ) -> Fault:
        """Answer matching requests with a fault, ``times`` times (``None``: until ``fault.cancel()``).

        ``status=429`` sends Discord's rate-limit response (``Retry-After``, ``X-RateLimit-*``, ``Via``);
        ``500/502/503/504`` server errors; any other status with ``code``/``message`` a custom error;
        ``hang=N`` delays the answer by N seconds (with ``status=None`` the request then succeeds).
        """
        return self.faults.add(
            match,
            status=status,
            retry_after=retry_after,
            times=times,
            is_global=is_global,
            hang=hang,
            code=code,
            message=message,
        )

    def clear_faults(self) -> None:
        self.faults.clear()

    def schedule_expiry(self, record: InteractionRecord) -> None:
        def expire() -> None:
            if not record.responded:
                record.expired = True
                self.touch()

        self._timers.append(asyncio.get_running_loop().call_later(self.interaction_timeout, expire))

    def make_attachment(self, filename: str, data: bytes, content_type: str | None = None) -> Attachment:
        """An uploaded file for an attachment option (served at its ``url``)."""
        attachment = Attachment(
            id=self.world.ids.next(), filename=filename, data=data, content_type=content_type
        )
        attachment.url = f"{self.http_base}/attachments/0/{attachment.id}/{filename}"
        attachment.ephemeral = True
        self.attachment_store[attachment.id] = attachment
        return attachment

    def message(self, message: Any) -> Message:
        """The stored message for a model, a discord.py ``Message`` or an id."""
        found = self.world.messages.get(as_int(message))
        if found is None:
            raise KeyError(f"no message {message!r}")
        return found
