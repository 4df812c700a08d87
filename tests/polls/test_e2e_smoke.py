from __future__ import annotations

from bot.client import CommunityBot
from tests.polls.conftest import World


async def test_the_bot_starts_with_the_poll_commands_synced(world: World, bot: CommunityBot) -> None:
    command = world.double.command_named("poll")
    assert {o["name"] for o in command["options"]} == {"create", "close", "results", "trend", "settings"}
