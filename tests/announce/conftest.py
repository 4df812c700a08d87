"""End-to-end fixtures for announcements: the shared harness (`tests/harness.py`) with announcements' own
pieces: a runner loading only the cogs announcements works with, a double whose sends can be made to lose
their answers (`SendInterceptor`), and the guild they run in (`World`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, cast

import pytest

from bot.client import CommunityBot
from tests.doubles.discord import Channel, DiscordDouble, Guild, Member, P
from tests.doubles.discord.errors import DiscordHTTPError
from tests.doubles.discord.transport import ApiRequest
from tests.harness import QUIET_FEEDS, BotRunner, serve_double


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


class AnnounceRunner(BotRunner):
    """The bot with announcements and the committed collaborators it hands work to (cogs still being built
    in the shared tree must not make these tests fail), quiet feeds and short retry delays."""

    extensions = ("cogs.about", "cogs.announcements", "cogs.polls", "cogs.threads")
    defaults = QUIET_FEEDS
    cog_name = "Announcements"

    async def after_start(self, bot: CommunityBot) -> None:
        self.cog.announcer.retry_base = 0.05
        self.cog.pipeline.retry_base = 0.05


@pytest.fixture
async def double() -> AsyncIterator[DiscordDouble]:
    running = DiscordDouble()
    running.interceptor = SendInterceptor(running)  # type: ignore[attr-defined]
    # Error log unchecked, as before the shared harness: three fault/recovery tests provoke 403/404 refusals
    # without declaring them with `double.expect_errors(...)`.
    async with serve_double(running, check_errors=False) as served:
        yield served


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
def runner_class() -> type[BotRunner]:
    return AnnounceRunner
