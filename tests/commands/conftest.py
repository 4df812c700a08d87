"""End-to-end harness for the command surface: the real bot, with every extension, against the double.

(Local until the lead factors a shared runner into tests/conftest.py.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import pytest

from bot.client import CommunityBot, apply_discord_endpoints
from bot.settings import Settings
from bot.store import Store
from tests.doubles.discord import Channel, DiscordDouble, Guild, InteractionRecord, Member, P

T = TypeVar("T")


async def eventually(check: Callable[[], Awaitable[T]], *, timeout: float = 5.0, what: str = "") -> T:
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
    general: Channel
    episodes: Channel
    modlog: Channel
    mod: Member
    member: Member
    other_guild: Guild
    other_mod: Member

    async def run(
        self, who: Member, name: str, /, guild: Guild | None = None, **options: Any
    ) -> InteractionRecord:
        """Invoke `/name` with `options` and wait for its final reply."""
        record = await self.double.invoke(guild or self.guild, who, name, options)
        await record.wait_final()
        return record


class BotRunner:
    """Starts and stops the real bot in-process on one store."""

    def __init__(self, double: DiscordDouble, store: Store, make_settings: Callable[..., Settings]) -> None:
        self.double = double
        self.store = store
        self.make_settings = make_settings
        self.bot: CommunityBot | None = None
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

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

        await eventually(ready, timeout=30, what="the bot to be ready")  # first start imports every cog
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


@pytest.fixture
def world(double: DiscordDouble) -> World:
    guild = double.add_guild("AI Daily Brief", bot_permissions=P.BOT_DEFAULT)
    general = double.add_text_channel(guild, "general")
    episodes = double.add_text_channel(guild, "episodes")
    modlog = double.add_text_channel(guild, "mod-log")
    mod = double.add_member(guild, "mod", permissions=P.MANAGE_GUILD)
    member = double.add_member(guild, "ada")
    other = double.add_guild("Another community")
    double.add_text_channel(other, "lobby")
    other_mod = double.add_member(other, "othermod", permissions=P.MANAGE_GUILD)
    return World(double, guild, general, episodes, modlog, mod, member, other, other_mod)


@pytest.fixture
async def runner(
    double: DiscordDouble, store: Store, make_settings: Callable[..., Settings]
) -> AsyncIterator[BotRunner]:
    running = BotRunner(double, store, make_settings)
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def bot(runner: BotRunner, world: World) -> CommunityBot:
    """The bot with every extension of `cogs/`, connected and ready."""
    return await runner.start()
