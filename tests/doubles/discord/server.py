"""``DiscordDouble``: one aiohttp server on 127.0.0.1 serving REST v10 and the gateway websocket."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from .actions import Actions
from .commands import CommandStore
from .core import API_PREFIX
from .errors import DiscordHTTPError
from .faults import standard_headers
from .gateway import Gateway
from .interactions import InteractionFactory
from .messages import MessageBuilder
from .rest_channels import ChannelRoutes
from .rest_guilds import GuildRoutes
from .rest_interactions import InteractionRoutes
from .rest_messages import MessageRoutes
from .rest_threads import ThreadRoutes
from .scenario import Scenario
from .transport import ApiRequest, RecordedRequest, json_response, parse_body

log = logging.getLogger(__name__)

Handler = Callable[[ApiRequest], Awaitable[Any]]
Route = tuple[str, str, Handler]
_UNAUTHENTICATED = ("/interactions/", "/webhooks/{application_id}/{token}")


def _local_port(request: web.Request) -> int | None:
    """The double's port this request came in on (see `DiscordDouble.add_address`)."""
    transport = request.transport
    name = transport.get_extra_info("sockname") if transport is not None else None
    return int(name[1]) if name else None


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


@dataclass(frozen=True)
class DoubleAddress:
    """One more port serving the double (`DiscordDouble.add_address`): the values for one client."""

    port: int
    api_base: str
    gateway_url: str


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
        super().__init__(
            token=token,
            bot_name=bot_name,
            interaction_timeout=interaction_timeout,
            attachment_size_limit=attachment_size_limit,
        )
        self.gateway = Gateway(self, heartbeat_interval=heartbeat_interval)
        self.builder = MessageBuilder(self)
        self.command_store = CommandStore(self)
        self.message_routes = MessageRoutes(self)
        self.channel_routes = ChannelRoutes(self)
        self.thread_routes = ThreadRoutes(self)
        self.guild_routes = GuildRoutes(self)
        self.interaction_routes = InteractionRoutes(self)
        self.factory = InteractionFactory(self)
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
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.25, handle_signals=False)
        await self._runner.setup()
        self.port = await self._listen()
        return self

    async def _listen(self) -> int:
        assert self._runner is not None, "start the double first"
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, sock).start()
        return int(sock.getsockname()[1])

    async def add_address(self) -> DoubleAddress:
        """Serve this same double on one more port, for one more client process.

        Each REST request records the port it came in on (`RecordedRequest.port`) and each gateway
        session the port it identified on (`Session.port`): give each bot process its own address and
        a test can tell which process sent what, though they share the one bot token.
        """
        port = await self._listen()
        return DoubleAddress(port, f"http://127.0.0.1:{port}{API_PREFIX}", f"ws://127.0.0.1:{port}/")

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

    def apply_to_discord_py(self) -> DiscordPyPatch:
        """Point this process's discord.py at the double. Call the result (or use it as ``with``) to undo."""
        return DiscordPyPatch(self.api_base, self.gateway_url)

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
            port=_local_port(request),
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
            limit = self.global_rate_limit
            if limit is not None and not template.startswith(_UNAUTHENTICATED) and template != "/gateway":
                wait = limit.admit(request.headers.get("Authorization", ""), record)
                if wait is not None:
                    record.faulted = True  # Discord's behaviour, not a bug of the bot
                    response, record.response = limit.response(wait)
                    record.status = response.status
                    return response
            fault = self.faults.take(record)
            if fault is not None:
                record.faulted = True
                if fault.hang:
                    await asyncio.sleep(fault.hang)
                if fault.gate is not None:
                    await fault.gate.wait()
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
