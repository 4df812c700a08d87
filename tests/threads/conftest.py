"""End-to-end harness for thread tracking: the real bot against the Discord protocol double.

(The lead may factor this into tests/conftest.py; it is local so it can land before a shared one.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import aiohttp
import pytest

from bot.client import CommunityBot, apply_discord_endpoints
from bot.settings import Settings
from bot.store import Store
from cogs.threads.cog import ThreadsCog
from tests.doubles.discord import Channel, DiscordDouble, Guild, Member, P

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


@dataclass
class World:
    double: DiscordDouble
    guild: Guild
    episodes: Channel
    general: Channel
    forum: Channel
    staff: Channel
    mod: Member
    members: list[Member]


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
    def cog(self) -> ThreadsCog:
        assert self.bot is not None
        cog = self.bot.get_cog("Threads")
        # load_extension imports the module afresh, so compare by name rather than by class identity
        assert cog is not None and type(cog).__name__ == "ThreadsCog"
        return cast(ThreadsCog, cog)

    async def start(self, **settings: Any) -> CommunityBot:
        config = self.make_settings(
            discord_token=self.double.token,
            discord_api_base=self.double.api_base,
            discord_gateway_url=self.double.gateway_url,
            guild_ready_timeout=0.05,
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
    async with DiscordDouble() as running:
        with running.apply_to_discord_py():
            yield running
        running.assert_no_errors()  # a refused request the test did not declare fails it


@pytest.fixture
def world(double: DiscordDouble) -> World:
    guild = double.add_guild("AI Daily Brief")
    episodes = double.add_text_channel(guild, "episodes")
    general = double.add_text_channel(guild, "general")
    forum = double.add_forum_channel(guild, "debates", tags=["open-source", "closed"])
    staff = double.add_text_channel(guild, "staff")
    double.set_overwrite(staff, guild.id, deny=P.VIEW_CHANNEL)
    staff_access = P.VIEW_CHANNEL | P.SEND_MESSAGES | P.CREATE_PUBLIC_THREADS | P.SEND_MESSAGES_IN_THREADS
    double.set_overwrite(staff, double.world.bot.id, allow=staff_access | P.READ_MESSAGE_HISTORY)
    mod = double.add_member(guild, "mod", permissions=P.MANAGE_GUILD)
    members = [double.add_member(guild, name) for name in ("ada", "bo", "cy")]
    return World(double, guild, episodes, general, forum, staff, mod, members)


@pytest.fixture
async def runner(
    double: DiscordDouble, store: Store, make_settings: Callable[..., Settings]
) -> AsyncIterator[BotRunner]:
    running = BotRunner(double, store, make_settings)
    try:
        yield running
    finally:
        await running.stop()
