"""The running bot on PostgreSQL: an episode dispatched by another process (another pool on the same
database, as the feed-polling leader would) is announced at once, woken by the database's signal, not by
the delivery loop's next interval."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.announce.outbox import Outbox
from bot.store import Store
from tests.announce.conftest import AnnounceRunner, World, double, world  # noqa: F401  (fixtures)
from tests.announce.flows import bot_messages, configure
from tests.announce.helpers import add_item, podcast
from tests.harness import BotRunner, eventually
from tests.postgres import fresh_database, postgres_server  # noqa: F401

#: The delivery loop's interval in this test: only a wake-up can announce within the test's patience.
NEVER = 3600.0


@pytest.fixture
async def database_url(postgres_server: str) -> AsyncIterator[str]:  # noqa: F811
    async with fresh_database(postgres_server) as url:
        yield url


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """The bot's own store: a pool on the fresh PostgreSQL database."""
    opened = await Store.open(database_url, pool_size=4)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def runner_class() -> type[BotRunner]:
    return AnnounceRunner


async def test_deliveries_created_by_another_process_are_announced_at_once(
    runner: AnnounceRunner,
    world: World,  # noqa: F811
    store: Store,
    database_url: str,
) -> None:
    await runner.start()
    await configure(runner, world, world.episodes)
    cog = runner.cog
    cog.interval = NEVER
    cycles = cog.cycles
    cog.wake()  # one more cycle, after which the loop sleeps for the new interval
    await eventually(lambda: _async(cog.cycles > cycles), what="a delivery cycle")

    other = await Store.open(database_url, pool_size=2)  # the leader's process
    try:
        assert runner.bot is not None
        feed = await podcast(other, runner.bot.settings.podcast_feed_url)
        await add_item(other, feed, "ep-remote", "Dispatched elsewhere")
        assert await Outbox(other).dispatch_pending() == 1
    finally:
        await other.close()

    posted = await world.double.wait_for(
        lambda: bot_messages(world, world.episodes), timeout=10, description="the announcement"
    )
    assert [m.embeds[0]["title"] for m in posted] == ["Dispatched elsewhere"]


async def _async(value: bool) -> bool:
    return value
