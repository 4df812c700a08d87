"""``DoubleCore``: the double's state, change notification, event dispatch and inspection helpers.

The scenario mixins (``scenario.py``, ``actions.py``) build on it; ``server.py`` adds the HTTP side.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import payloads
from .faults import Fault, FaultRegistry, GlobalRateLimit, Matcher, compile_pattern
from .models import Attachment, Message, as_int
from .records import InteractionRecord
from .state import World
from .transport import RecordedRequest

if TYPE_CHECKING:
    from .commands import CommandStore
    from .gateway import Gateway
    from .interactions import InteractionFactory
    from .messages import MessageBuilder
    from .rest_channels import ChannelRoutes
    from .rest_messages import MessageRoutes
    from .rest_threads import ThreadRoutes

log = logging.getLogger("tests.doubles.discord")

API_PREFIX = "/api/v10"
#: Application flags of a small unverified app with all three privileged intents switched on.
DEFAULT_APPLICATION_FLAGS = (1 << 13) | (1 << 15) | (1 << 19)


class DoubleCore:
    """State shared by every part of the double (the HTTP server wires the parts together)."""

    gateway: Gateway
    builder: MessageBuilder
    factory: InteractionFactory
    command_store: CommandStore
    message_routes: MessageRoutes
    thread_routes: ThreadRoutes
    channel_routes: ChannelRoutes

    def __init__(
        self, *, token: str, bot_name: str, interaction_timeout: float, attachment_size_limit: int
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
        #: Discord's global rate limit, when enforced (``enforce_global_rate_limit``); None: unlimited.
        self.global_rate_limit: GlobalRateLimit | None = None
        self.port = 0
        self._cond = asyncio.Condition()
        self._notify_pending = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._timers: list[asyncio.TimerHandle] = []

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
        gate: asyncio.Event | None = None,
    ) -> Fault:
        """Answer matching requests with a fault, ``times`` times (``None``: until ``fault.cancel()``).

        ``status=429`` sends Discord's rate-limit response (``Retry-After``, ``X-RateLimit-*``, ``Via``);
        ``500/502/503/504`` server errors; any other status with ``code``/``message`` a custom error;
        ``hang=N`` delays the answer by N seconds (with ``status=None`` the request then succeeds);
        ``gate=event`` holds the answer until the test sets the event (a server that is slow until told).
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
            gate=gate,
        )

    def clear_faults(self) -> None:
        self.faults.clear()

    def enforce_global_rate_limit(self, per_second: int = 50) -> GlobalRateLimit:
        """From now on answer a bot token's requests beyond ``per_second`` in a one-second window with
        Discord's global 429 (interaction responses and follow-ups excepted). Its ``rejected`` lists them."""
        self.global_rate_limit = GlobalRateLimit(per_second)
        return self.global_rate_limit

    def lift_global_rate_limit(self) -> None:
        self.global_rate_limit = None

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
