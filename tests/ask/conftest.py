"""`/ask` end to end: the command fixtures of `tests/commands` (two guilds, the bot with every cog), the
evaluation episodes seeded for the main guild, and a bot wired to the OpenAI double when a test needs one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bench import ask_eval
from bot.client import CommunityBot
from bot.feeds.models import StoredItem
from bot.settings import Settings
from bot.store import Store
from tests.commands.conftest import CommandsRunner, World, bot, double, runner_class, world
from tests.doubles.discord import DiscordDouble, InteractionRecord, Member
from tests.doubles.openai_double import OpenAIDouble

__all__ = ["bot", "double", "runner_class", "world"]

PROGRESS = ("Searching", "Writing")


@pytest.fixture
async def archive(store: Store, world: World) -> dict[str, StoredItem]:
    """The evaluation episodes, with timed transcripts, followed by the main guild."""
    return await ask_eval.seed(store, world.guild.id)


@pytest.fixture
async def openai() -> AsyncIterator[OpenAIDouble]:
    async with OpenAIDouble() as running:
        yield running


@pytest.fixture
async def llm_bot(
    double: DiscordDouble,
    store: Store,
    make_settings: Callable[..., Settings],
    openai: OpenAIDouble,
    world: World,
) -> AsyncIterator[CommunityBot]:
    """The bot with every cog and the OpenAI double as its LLM."""
    runner = CommandsRunner(double, store, make_settings, llm=openai.client())
    try:
        yield await runner.start(openai_base_url=openai.base_url, openai_model=openai.model)
    finally:
        await runner.stop()
        assert runner.llm is not None
        await runner.llm.close()


async def ask(world: World, who: Member, /, **options: Any) -> InteractionRecord:
    """Run `/ask` and wait for its answer (past the progress edits)."""
    record = await world.double.invoke(world.guild, who, "ask", options)
    await record.wait_final(lambda m: bool(m.embeds) or not m.content.startswith(PROGRESS))
    return record
