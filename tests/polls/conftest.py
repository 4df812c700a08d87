"""End-to-end fixtures for polls: the real bot, in-process, against the Discord protocol double.

`world` starts the double with one guild (a #general channel, a moderator with Manage Server, two
members); `BotRunner.start()` starts a `CommunityBot` on the shared store and waits until it is ready, and
can be stopped and started again to test restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from bot import client as bot_client
from bot.client import CommunityBot, apply_discord_endpoints
from bot.polls.service import PollService, find_service
from bot.settings import Settings
from bot.store import Store
from bot.timeutil import from_db, to_db, utcnow
from tests.doubles.discord import Channel, DiscordDouble, Guild, Member, P

READY_TIMEOUT = 10.0
POLL_EXTENSIONS = ("cogs.about", "cogs.polls")


@dataclass
class World:
    double: DiscordDouble
    guild: Guild
    general: Channel
    moderator: Member
    alice: Member
    bob: Member


class BotRunner:
    """Starts and stops the real bot against the double; the store and settings survive restarts."""

    def __init__(self, double: DiscordDouble, settings: Settings, store: Store) -> None:
        self.double = double
        self.settings = settings
        self.store = store
        self.bot: CommunityBot | None = None
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> CommunityBot:
        apply_discord_endpoints(self.settings)
        self._session = aiohttp.ClientSession()
        bot = CommunityBot(settings=self.settings, store=self.store, http_session=self._session)
        self.bot = bot
        self._task = asyncio.create_task(bot.start(self.double.token))
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait(
            {ready, self._task}, timeout=READY_TIMEOUT, return_when="FIRST_COMPLETED"
        )
        if ready not in done:
            ready.cancel()
            if self._task in done:
                self._task.result()  # raises the start-up error
            raise AssertionError("the bot did not become ready against the double")
        return bot

    @property
    def service(self) -> PollService:
        assert self.bot is not None
        service = find_service(self.bot)
        assert service is not None, "the polls cog is not loaded"
        return service

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, 5)
        if self._session is not None:
            await self._session.close()
        self.bot, self._task, self._session = None, None, None

    async def pass_time_while_stopped(self, poll_id: int, *, hours: float) -> None:
        """While the bot is down, move a poll's times back as if `hours` had passed."""
        assert self.bot is None, "stop the bot first"
        row = await self.store.db.fetchone("SELECT created_at, closes_at FROM polls WHERE id = ?", (poll_id,))
        assert row is not None
        shift = timedelta(hours=hours)
        await self.store.db.execute(
            "UPDATE polls SET created_at = ?, closes_at = ? WHERE id = ?",
            (to_db(from_db(row["created_at"]) - shift), to_db(from_db(row["closes_at"]) - shift), poll_id),
        )


@pytest.fixture
async def world() -> AsyncIterator[World]:
    double = DiscordDouble(interaction_timeout=1.0)  # Discord allows 3 s; a slow answer fails sooner
    await double.start()
    patch = double.apply_to_discord_py()
    try:
        guild = double.add_guild("AI Daily Brief", bot_permissions=P.ALL & ~P.ADMINISTRATOR)
        general = double.add_text_channel(guild, "general")
        world = World(
            double=double,
            guild=guild,
            general=general,
            moderator=double.add_member(guild, "mod", permissions=P.MANAGE_GUILD),
            alice=double.add_member(guild, "alice"),
            bob=double.add_member(guild, "bob"),
        )
        yield world
        double.assert_no_errors()  # any 4xx the bot would also get from Discord fails the test
    finally:
        patch.restore()
        await double.stop()


@pytest.fixture
async def runner(
    world: World, make_settings: Callable[..., Settings], store: Store, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[BotRunner]:
    # Only the polls cog (and /about): other capabilities' cogs are tested in their own folders, and the
    # whole set is checked together by the extension smoke test, so a clash elsewhere cannot fail these.
    monkeypatch.setattr(bot_client, "extension_names", lambda: list(POLL_EXTENSIONS))
    settings = make_settings(
        discord_token=world.double.token,
        discord_api_base=world.double.api_base,
        discord_gateway_url=world.double.gateway_url,
        guild_ready_timeout=0.05,
    )
    runner = BotRunner(world.double, settings, store)
    try:
        yield runner
    finally:
        await runner.stop()


@pytest.fixture
async def bot(runner: BotRunner) -> CommunityBot:
    return await runner.start()


def option_error(record: Any) -> str:
    """The ephemeral text the bot answered with."""
    return str(record.content)


async def eventually(check: Callable[[], Any], *, timeout: float = 5.0, what: str = "condition") -> Any:
    """Poll an async check (bot-side state the double cannot observe) until it returns a truthy value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what} (last value: {value!r})")
        await asyncio.sleep(0.02)


async def make_episodes(store: Store, ids: Iterable[int]) -> None:
    """Episode rows with these ids (in the feeds capability's `items` table) for polls to refer to."""
    now = to_db(utcnow())
    feed_id = await store.db.insert(
        "INSERT INTO feeds (url, kind, added_at) VALUES (?, 'podcast', ?)",
        (f"https://example.test/{now}", now),
    )
    for item_id in ids:
        await store.db.insert(
            "INSERT INTO items (id, feed_id, key, title, content_hash, first_seen_at, status) "
            "VALUES (?, ?, ?, ?, 'hash', ?, 'new')",
            (item_id, feed_id, f"episode-{item_id}", f"Episode {item_id}", now),
        )
