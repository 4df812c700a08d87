"""End-to-end harness for announcements: the real bot against the Discord protocol double.

(Local so it can land before a shared one; the lead may factor `BotRunner` into tests/conftest.py.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import aiohttp
import pytest

import bot.client as client_module
from bot.client import CommunityBot, apply_discord_endpoints
from bot.settings import Settings
from bot.store import Store
from tests.doubles.discord import Channel, DiscordDouble, Guild, Member, P
from tests.doubles.discord.errors import DiscordHTTPError
from tests.doubles.discord.transport import ApiRequest

T = TypeVar("T")


async def eventually(check: Callable[[], Awaitable[T]], *, timeout: float = 10.0, what: str = "") -> T:
    """Re-check `check()` until it returns something truthy; fail after `timeout` seconds (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or check}")
        await asyncio.sleep(0.01)


class SendInterceptor:
    """Wraps the double's "create message" route to model a send Discord accepted but whose answer was lost.

    `lose_answers(n)`: the next n sends create the message, then answer 500 (as a timed-out or failed
    response would look to the client). `hold()`: the next send creates the message and never answers
    (the process is killed while waiting). Unarmed, it passes everything through.
    """

    def __init__(self, double: DiscordDouble) -> None:
        self.original = double.message_routes.send
        self.lost = 0
        self.holding = False
        self.held = asyncio.Event()
        double.message_routes.send = self  # type: ignore[method-assign]

    def lose_answers(self, n: int = 1) -> None:
        self.lost = n

    def hold(self) -> None:
        self.holding = True

    async def __call__(self, req: ApiRequest) -> Any:
        result = await self.original(req)
        if self.holding:
            self.holding = False
            self.held.set()
            await asyncio.Event().wait()  # never answered; the test kills the client
        if self.lost:
            self.lost -= 1
            raise DiscordHTTPError(500, 0, "500: Internal Server Error")
        return result


@dataclass
class World:
    double: DiscordDouble
    guild: Guild
    episodes: Channel
    modlog: Channel
    forum: Channel
    mod: Member
    members: list[Member]


#: The extensions these tests load: announcements and the committed collaborators it hands work to. (Cogs
#: still being built in the shared tree must not make these tests fail.)
EXTENSIONS = ["cogs.about", "cogs.announcements", "cogs.polls", "cogs.threads"]


class BotRunner:
    """Starts and stops the real bot in-process (several times, for restart tests) on one store."""

    def __init__(self, double: DiscordDouble, store: Store, make_settings: Callable[..., Settings]) -> None:
        self.double = double
        self.store = store
        self.make_settings = make_settings
        self.bot: CommunityBot | None = None
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def cog(self) -> Any:
        assert self.bot is not None
        cog = self.bot.get_cog("Announcements")
        assert cog is not None
        return cast(Any, cog)

    async def start(self, **settings: Any) -> CommunityBot:
        settings.setdefault("podcast_feed_url", "http://127.0.0.1:9/podcast.xml")
        settings.setdefault("newsletter_feed_url", "http://127.0.0.1:9/newsletter.xml")
        settings.setdefault("feed_poll_interval", 3600)
        config = self.make_settings(
            discord_token=self.double.token,
            discord_api_base=self.double.api_base,
            discord_gateway_url=self.double.gateway_url,
            guild_ready_timeout=0.05,
            feed_allow_private_hosts=True,
            **settings,
        )
        apply_discord_endpoints(config)
        self._session = aiohttp.ClientSession()
        self.bot = bot = CommunityBot(settings=config, store=self.store, http_session=self._session)
        self._task = asyncio.create_task(bot.start(self.double.token), name="bot-under-test")

        async def ready() -> bool:
            if self._task is not None and self._task.done():
                self._task.result()  # surface a start-up failure
            return bot.is_ready()

        await eventually(ready, timeout=10, what="the bot to be ready")
        self.cog.announcer.retry_base = 0.05
        self.cog.pipeline.retry_base = 0.05
        return bot

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.close()
        if self._task is not None:
            await asyncio.wait_for(self._task, 10)
        if self._session is not None:
            await self._session.close()
        self.bot = self._task = self._session = None


@pytest.fixture
async def double() -> AsyncIterator[DiscordDouble]:
    running = DiscordDouble()
    running.interceptor = SendInterceptor(running)  # type: ignore[attr-defined]
    async with running:
        with running.apply_to_discord_py():
            yield running


@pytest.fixture
def interceptor(double: DiscordDouble) -> SendInterceptor:
    return cast(SendInterceptor, double.interceptor)  # type: ignore[attr-defined]


@pytest.fixture
def world(double: DiscordDouble) -> World:
    guild = double.add_guild("AI Daily Brief", bot_permissions=P.BOT_DEFAULT | P.MANAGE_ROLES)
    episodes = double.add_text_channel(guild, "episodes")
    modlog = double.add_text_channel(guild, "mod-log")
    forum = double.add_forum_channel(guild, "episode-forum", tags=["Podcast", "Newsletter", "Other"])
    mod = double.add_member(guild, "mod", permissions=P.MANAGE_GUILD)
    members = [double.add_member(guild, name) for name in ("ada", "bo")]
    return World(double, guild, episodes, modlog, forum, mod, members)


@pytest.fixture
async def runner(
    double: DiscordDouble,
    store: Store,
    make_settings: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[BotRunner]:
    monkeypatch.setattr(client_module, "extension_names", lambda: list(EXTENSIONS))
    running = BotRunner(double, store, make_settings)
    try:
        yield running
    finally:
        await running.stop()
