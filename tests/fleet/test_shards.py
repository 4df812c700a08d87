"""Each bot process runs its own gateway shards: it sees its shards' guilds and answers their members.

Two real bots (`SHARD_COUNT` 2, `SHARD_IDS` 0 and 1) connect to one Discord double; the double routes each
guild's events, interactions included, to the session of the guild's shard only, as Discord does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import discord
import pytest

from bot.client import CommunityBot
from bot.ops.health import gateway_connected
from bot.settings import Settings
from bot.store import Store
from tests.doubles.discord import DiscordDouble
from tests.fleet.helpers import guilds_on_every_shard, on_shard
from tests.harness import BotRunner, eventually

SHARDS = 2


class ShardRunner(BotRunner):
    extensions = ("cogs.about",)
    ready_timeout = 30.0


@pytest.fixture
async def second_store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "second.sqlite3")
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def pair(
    double: DiscordDouble, store: Store, second_store: Store, make_settings: Callable[..., Settings]
) -> AsyncIterator[tuple[BotRunner, BotRunner]]:
    runners = (ShardRunner(double, store, make_settings), ShardRunner(double, second_store, make_settings))
    try:
        yield runners
    finally:
        for runner in runners:
            await runner.stop()


async def test_each_process_sees_only_the_guilds_of_its_shard(
    double: DiscordDouble, pair: tuple[BotRunner, BotRunner]
) -> None:
    guilds = await guilds_on_every_shard(double, SHARDS, each=2)
    bots: list[CommunityBot] = []
    for shard, runner in enumerate(pair):
        bots.append(await runner.start(shard_count=SHARDS, shard_ids=str(shard)))
    for shard, bot in enumerate(bots):
        assert {g.id for g in bot.guilds} == on_shard(guilds, shard, SHARDS)
        assert set(bot.shards) == {shard} and bot.shard_count == SHARDS
        assert gateway_connected(bot)
    identified = sorted(tuple(i["shard"]) for i in double.gateway.identifies)
    assert identified == [(0, SHARDS), (1, SHARDS)]

    # A guild the bot joins later arrives on its shard's process only.
    late = await guilds_on_every_shard(double, SHARDS)
    for shard, bot in enumerate(bots):
        expected = on_shard([*guilds, *late], shard, SHARDS)

        async def caught_up(bot: CommunityBot = bot, expected: set[int] = expected) -> bool:
            return {g.id for g in bot.guilds} == expected

        await eventually(caught_up, what=f"shard {shard} to see its new guilds")


async def test_a_members_command_is_answered_by_the_process_of_its_guilds_shard(
    double: DiscordDouble, pair: tuple[BotRunner, BotRunner]
) -> None:
    guilds = await guilds_on_every_shard(double, SHARDS)
    seen: list[list[int]] = [[], []]
    for shard, runner in enumerate(pair):
        bot = await runner.start(shard_count=SHARDS, shard_ids=str(shard))

        async def on_interaction(interaction: discord.Interaction, shard: int = shard) -> None:
            seen[shard].append(interaction.guild_id or 0)

        bot.add_listener(on_interaction)
    for guild in guilds:
        member = double.add_member(guild, f"member-{guild.id}")
        record = await double.invoke(guild, member, "about")
        assert (await record.wait_final()).embeds or (await record.wait_final()).content
    for shard in range(SHARDS):
        assert set(seen[shard]) == on_shard(guilds, shard, SHARDS)


async def test_without_shard_settings_one_process_runs_every_shard(
    double: DiscordDouble, runner: BotRunner
) -> None:
    guilds = await guilds_on_every_shard(double, SHARDS)
    bot = await runner.start(extensions=["cogs.about"])
    assert {g.id for g in bot.guilds} == {g.id for g in guilds}
    assert bot.shard_count == 1 and gateway_connected(bot)  # the count Discord recommends (the double: 1)
