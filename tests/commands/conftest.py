"""End-to-end fixtures for the command surface: the shared harness (`tests/harness.py`) with every
extension loaded and quiet feeds, and two guilds to run commands in (`World`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.client import CommunityBot
from tests.doubles.discord import Channel, DiscordDouble, Guild, InteractionRecord, Member, P
from tests.harness import QUIET_FEEDS, BotRunner, serve_double


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


class CommandsRunner(BotRunner):
    """The bot with every extension of `cogs/` and quiet feeds."""

    defaults = QUIET_FEEDS
    ready_timeout = 30.0  # the first start imports every cog


@pytest.fixture
async def double() -> AsyncIterator[DiscordDouble]:
    # Error log unchecked, as before the shared harness (these tests also pass with the check on).
    async with serve_double(check_errors=False) as running:
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
def runner_class() -> type[BotRunner]:
    return CommandsRunner


@pytest.fixture
async def bot(runner: BotRunner, world: World) -> CommunityBot:
    """The bot with every extension of `cogs/`, connected and ready."""
    return await runner.start()
