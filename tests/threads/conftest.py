"""End-to-end fixtures for thread tracking: the shared harness (`tests/harness.py`) with every cog loaded,
a typed accessor for the threads cog, and the guild the tests run in (`World`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import pytest

from cogs.threads.cog import ThreadsCog
from tests.doubles.discord import Channel, DiscordDouble, Guild, Member, P
from tests.harness import BotRunner


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


class ThreadsRunner(BotRunner):
    """The bot with every extension; `cog` is the threads cog."""

    cog_name = "Threads"

    @property
    def cog(self) -> ThreadsCog:
        cog = super().cog
        # load_extension imports the module afresh, so compare by name rather than by class identity
        assert type(cog).__name__ == "ThreadsCog"
        return cast(ThreadsCog, cog)


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
def runner_class() -> type[BotRunner]:
    return ThreadsRunner
