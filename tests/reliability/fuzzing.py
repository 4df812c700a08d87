"""The real bot in a background event loop, for tests that Hypothesis drives synchronously.

Used by `test_command_fuzz.py` and `test_command_edges.py` through the `fuzz` fixture in conftest.py.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from tests.doubles.discord import Channel, DiscordDouble, Guild, Member, P, Role
from tests.reliability.harness import Leaf, LiveBot, db_snapshot

T = TypeVar("T")
UNEXPECTED = "Something went wrong on my side"


class LoopThread:
    """An event loop running in a daemon thread; `run` waits (bounded) for a coroutine on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fuzz-loop", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class Refusals(logging.Handler):
    """Counts the refusals `BotTree.on_error` logs ("/cmd refused for user …")."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "refused for user" in record.getMessage():
            self.count += 1


@dataclass
class Fuzz:
    runner: LoopThread
    double: DiscordDouble
    live: LiveBot
    guild: Guild
    other: Guild
    mod: Member
    member: Member
    channels: list[Channel]
    roles: list[Role]
    refusals: Refusals
    stats: Counter[str] = field(default_factory=Counter)


def running_bot(folder: Path) -> Iterator[Fuzz]:
    runner = LoopThread()
    double = DiscordDouble(interaction_timeout=5.0)
    runner.run(double.start())
    patch = double.apply_to_discord_py()
    guild, other = double.add_guild("AI Daily Brief"), double.add_guild("Elsewhere")
    channels = [double.add_text_channel(guild, "general"), double.add_forum_channel(guild, "forum")]
    double.add_text_channel(other, "general")
    roles = [double.add_role(guild, "listeners", mentionable=True)]
    mod = double.add_member(guild, "mod", permissions=P.MANAGE_GUILD)
    member = double.add_member(guild, "ada")
    live = LiveBot(double, folder / "bot.sqlite3")
    runner.run(live.start())
    refusals = Refusals()
    errors_log = logging.getLogger("bot.errors")
    saved_level = errors_log.level
    errors_log.setLevel(logging.INFO)  # refusals are logged at INFO
    errors_log.addHandler(refusals)
    try:
        yield Fuzz(runner, double, live, guild, other, mod, member, channels, roles, refusals)
    finally:
        errors_log.removeHandler(refusals)
        errors_log.setLevel(saved_level)
        runner.run(live.stop())
        patch.restore()
        runner.run(double.stop())
        runner.close()


async def deliver(fuzz: Fuzz, leaf: Leaf, options: dict[str, Any], who: Member) -> None:
    double, store = fuzz.double, fuzz.live.store
    assert store is not None
    before = await db_snapshot(store)
    refused_before = fuzz.refusals.count
    messages_before = set(double.world.messages)
    record = await double.invoke(fuzz.guild, who, leaf.name, options, bypass_default_permissions=True)
    reply = await record.wait_final(timeout=15)
    await asyncio.sleep(0)  # let the bot finish logging its answer
    text = reply.content + reply.text()
    assert UNEXPECTED not in text, (leaf.name, options, text)
    assert reply.allowed_mentions is not None, (leaf.name, options)
    for message_id in set(double.world.messages) - messages_before:
        message = double.world.messages[message_id]
        assert not message.mention_everyone and message.mention_role_ids == [], (leaf.name, options)
    if fuzz.refusals.count > refused_before:
        assert record.ephemeral, (leaf.name, options)
        assert await db_snapshot(store) == before, f"/{leaf.name} refused {options!r} but changed state"
        fuzz.stats["refused"] += 1
    else:
        fuzz.stats["accepted"] += 1
