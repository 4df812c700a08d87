"""End-to-end fixtures for polls: the shared harness (`tests/harness.py`) with polls' own pieces.

`double` answers interactions within 1 s (Discord allows 3 s, so a slow answer fails sooner) and fails the
test on any error Discord would also give; `world` adds one guild (a #general channel, a moderator with
Manage Server, two members); `PollsRunner` loads only the polls cog (and /about), exposes the running
`PollService`, and can age a poll while the bot is down to test restarts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from bot.client import CommunityBot
from bot.polls.service import PollService
from bot.store import Store
from bot.timeutil import from_db, to_db, utcnow
from tests.doubles.discord import Channel, DiscordDouble, Guild, Member, P
from tests.harness import BotRunner, serve_double


@dataclass
class World:
    double: DiscordDouble
    guild: Guild
    general: Channel
    moderator: Member
    alice: Member
    bob: Member


class PollsRunner(BotRunner):
    """The bot with only the polls cog (and /about): other capabilities' cogs are tested in their own
    folders, and the whole set is checked together by the extension smoke test, so a clash elsewhere cannot
    fail these."""

    extensions = ("cogs.about", "cogs.polls")

    @property
    def service(self) -> PollService:
        assert self.bot is not None
        return self.bot.services.polls

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
async def double() -> AsyncIterator[DiscordDouble]:
    async with serve_double(DiscordDouble(interaction_timeout=1.0)) as running:
        yield running


@pytest.fixture
def world(double: DiscordDouble) -> World:
    guild = double.add_guild("AI Daily Brief", bot_permissions=P.ALL & ~P.ADMINISTRATOR)
    general = double.add_text_channel(guild, "general")
    return World(
        double=double,
        guild=guild,
        general=general,
        moderator=double.add_member(guild, "mod", permissions=P.MANAGE_GUILD),
        alice=double.add_member(guild, "alice"),
        bob=double.add_member(guild, "bob"),
    )


@pytest.fixture
def runner_class() -> type[BotRunner]:
    return PollsRunner


@pytest.fixture
async def bot(runner: PollsRunner, world: World) -> CommunityBot:
    return await runner.start()


def option_error(record: Any) -> str:
    """The ephemeral text the bot answered with."""
    return str(record.content)


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
