"""The end-to-end harness: the real `CommunityBot`, in-process, against the Discord protocol double.

One copy of what every end-to-end folder needs, so a fix to start-up, shutdown or waiting lands everywhere:

- `eventually(check)`: a bounded wait on bot-side state the double cannot observe (no fixed sleeps).
- `serve_double()`: run a `DiscordDouble`, point discord.py at it, and (by default) fail the test if the bot
  got an error Discord would also have given it.
- `BotRunner`: start the bot on a store with settings pointing at the double, wait until it is ready, stop
  it cleanly; start it again on the same store to test restarts.

The `double` and `runner` fixtures in `tests/conftest.py` are built on these. A folder customises them by
overriding a fixture in its own `conftest.py`, not by copying the harness:

- a `BotRunner` subclass with class attributes (`extensions` to load only some cogs, `defaults` for
  settings, `cog_name` for the `.cog` accessor, `ready_timeout`) and the `after_start` hook, returned from
  an overridden `runner_class` fixture;
- an overridden `double` fixture that builds its `DiscordDouble` (options, route wrappers installed before
  it starts) and hands it to `serve_double`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, TypeVar

import aiohttp
from openai import AsyncOpenAI

from bot.client import CommunityBot, apply_discord_endpoints
from bot.feeds.events import FeedEventHub
from bot.runner import EXTENSIONS, create_bot
from bot.settings import Settings
from bot.store import Store
from bot.timeutil import utcnow
from tests.doubles.discord import DiscordDouble

T = TypeVar("T")

#: Feed settings for a bot whose feeds must never be fetched by surprise: both feeds point at a closed
#: local port and are polled hourly, so a test drives feed events itself (or overrides a URL with a server).
QUIET_FEEDS: Mapping[str, Any] = {
    "podcast_feed_url": "http://127.0.0.1:9/podcast.xml",
    "newsletter_feed_url": "http://127.0.0.1:9/newsletter.xml",
    "feed_poll_interval": 3600,
    "feed_allow_private_hosts": True,
}


async def eventually(
    check: Callable[[], Awaitable[T]], *, timeout: float = 10.0, what: str = "", interval: float = 0.01
) -> T:
    """Await `check()` every `interval` seconds until it returns something truthy, and return that.

    Use it for state the bot changes asynchronously (a row written, a cog flag set); the double's own
    records have their own waits. Raises `AssertionError` naming `what` and the last value after `timeout`
    seconds, so a broken promise fails the test instead of hanging it. An exception from `check` propagates
    at once.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what or check} (last value: {value!r})"
            )
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def serve_double(
    double: DiscordDouble | None = None, *, check_errors: bool = True
) -> AsyncIterator[DiscordDouble]:
    """Start `double` (a default `DiscordDouble` if None) and point this process's discord.py at it.

    Build the double yourself to pass options or to wrap its routes: routes are bound when it starts. On a
    clean exit with `check_errors`, `assert_no_errors()` fails the test if the bot made a request Discord
    would refuse (a production bug) that the test did not declare with `expect_errors`.
    """
    running = double if double is not None else DiscordDouble()
    async with running:
        with running.apply_to_discord_py():
            yield running
        if check_errors:
            running.assert_no_errors()


class BotRunner:
    """Starts and stops the real bot in-process against the double, on one store that survives restarts.

    A folder sets its defaults as class attributes of a subclass. `llm` is the OpenAI client the bot gets
    (None: no LLM features). Always `stop()` (the `runner` fixture does); `start()` again is a restart.
    """

    #: Extensions to load (e.g. `["cogs.about", "cogs.polls"]`) instead of every module of `cogs/`, so a
    #: capability's tests cannot fail because of another capability's cog. None loads them all.
    extensions: ClassVar[Sequence[str] | None] = None
    #: Settings every start uses unless `start(**overrides)` names them.
    defaults: ClassVar[Mapping[str, Any]] = QUIET_FEEDS  # no runner ever fetches a real feed by surprise
    #: The cog the `cog` property returns (by its `qualified_name`).
    cog_name: ClassVar[str | None] = None
    #: Seconds to wait for the bot to become ready (the first start of every cog imports a lot).
    ready_timeout: ClassVar[float] = 10.0
    #: Seconds to wait for the bot's task to end after `close()`.
    stop_timeout: ClassVar[float] = 10.0

    def __init__(
        self,
        double: DiscordDouble,
        store: Store,
        make_settings: Callable[..., Settings],
        *,
        llm: AsyncOpenAI | None = None,
    ) -> None:
        self.double = double
        self.store = store
        self.make_settings = make_settings
        self.llm = llm
        self.bot: CommunityBot | None = None
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._owns_session = False

    def settings(self, **overrides: Any) -> Settings:
        """Settings pointing at the double: the runner's `defaults`, then `overrides`."""
        values: dict[str, Any] = {
            "discord_token": self.double.token,
            "discord_api_base": self.double.api_base,
            "discord_gateway_url": self.double.gateway_url,
            "guild_ready_timeout": 0.05,
            **self.defaults,
            **overrides,
        }
        return self.make_settings(**values)

    async def start(
        self,
        *,
        session: aiohttp.ClientSession | None = None,
        extensions: Sequence[str] | None = None,
        **overrides: Any,
    ) -> CommunityBot:
        """Start the bot with these settings overrides and return it once it is ready.

        `session` is an HTTP session the caller owns (e.g. one with tracing); by default the runner opens
        one and closes it in `stop()`. `extensions` replaces the class's list for this start. A start-up
        failure is raised here rather than as a timeout.
        """
        assert self.bot is None, "stop() the running bot before starting it again"
        config = self.settings(**overrides)
        apply_discord_endpoints(config)
        self._owns_session = session is None
        self._session = session if session is not None else aiohttp.ClientSession()
        self.bot = bot = create_bot(
            config,
            self.store,
            self._session,
            llm=self.llm,
            extensions=extensions or (self.extensions if self.extensions is not None else EXTENSIONS),
        )
        self._task = asyncio.create_task(bot.start(self.double.token), name="bot-under-test")

        async def ready() -> bool:
            if self._task is not None and self._task.done():
                self._task.result()  # surface a start-up failure
            return bot.is_ready()

        await eventually(ready, timeout=self.ready_timeout, what="the bot to be ready")
        await self.after_start(bot)
        return bot

    async def after_start(self, bot: CommunityBot) -> None:
        """Hook for a subclass: adjust the ready bot before the test sees it (e.g. shorter retry delays)."""

    @property
    def cog(self) -> Any:
        """The loaded cog named by `cog_name` (fails the test if it is not loaded)."""
        assert self.bot is not None, "start() the bot first"
        assert self.cog_name is not None, "this runner names no cog"
        cog = self.bot.get_cog(self.cog_name)
        assert cog is not None, f"the {self.cog_name} cog is not loaded"
        return cog

    async def stop(self) -> None:
        """Close the bot, wait for its task (re-raising what it died of), close the session. Idempotent."""
        try:
            if self.bot is not None:
                await self.bot.close()
            if self._task is not None:
                await asyncio.wait_for(self._task, self.stop_timeout)
        finally:
            if self._session is not None and self._owns_session:
                await self._session.close()
            self.bot = self._task = self._session = None


def hub_for(bot: CommunityBot) -> FeedEventHub:
    """The bot's feed-event hub (built once by `bot.container`), to play a feed event to its listeners."""
    return bot.services.feed_events


class SettableClock:
    """A wall clock the test moves (`clock.now += …`), shared by several "processes" (leases and
    heartbeats are judged by the time their caller passes)."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now
