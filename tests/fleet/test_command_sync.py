"""Slash commands are synced once however many processes start together (the `command-sync` lease)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from bot.settings import Settings
from bot.store import Store
from tests.doubles.discord import DiscordDouble
from tests.harness import BotRunner
from tests.postgres import postgres_server, store_on_both_engines  # noqa: F401


class SyncRunner(BotRunner):
    extensions = ("cogs.about",)
    ready_timeout = 30.0


@pytest.fixture
async def two(
    double: DiscordDouble, store: Store, make_settings: Callable[..., Settings]
) -> AsyncIterator[list[BotRunner]]:
    """Two bot processes sharing one database (here: one store, as both would see the same rows)."""
    runners = [SyncRunner(double, store, make_settings) for _ in range(2)]
    try:
        yield runners
    finally:
        for runner in runners:
            await runner.stop()


def global_syncs(double: DiscordDouble) -> int:
    return sum(1 for scope, _ in double.command_store.sync_log if scope is None)


async def test_two_processes_starting_together_sync_the_commands_once(
    double: DiscordDouble, two: list[BotRunner]
) -> None:
    await asyncio.gather(*(runner.start() for runner in two))
    assert global_syncs(double) == 1
    assert double.command_named("about") is not None
    # A restart of either finds them unchanged: still one sync.
    await two[1].stop()
    await two[1].start()
    assert global_syncs(double) == 1
