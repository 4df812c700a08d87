"""The bot process is killed after Discord accepted an announcement but before the bot recorded it.

The real `python -m bot run` in a subprocess against the Discord double: the double creates the message
and holds its answer, the test SIGKILLs the process, restarts it, and there is still exactly one
announcement, recorded in the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.announce.models import ChannelKind, DeliveryState
from bot.store import Store
from tests.announce.conftest import SendInterceptor
from tests.announce.helpers import add_item, podcast
from tests.conftest import bot_subprocess_env
from tests.doubles.discord import DiscordDouble
from tests.harness import eventually

FEED_URL = "http://127.0.0.1:9/podcast.xml"


@contextlib.asynccontextmanager
async def bot_process(
    double: DiscordDouble, db: Path, log: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    env = bot_subprocess_env(
        DISCORD_TOKEN=double.token,
        DISCORD_API_BASE=double.api_base,
        DISCORD_GATEWAY_URL=double.gateway_url,
        DATABASE_PATH=str(db),
        PODCAST_FEED_URL=FEED_URL,
        NEWSLETTER_FEED_URL="http://127.0.0.1:9/newsletter.xml",
        FEED_ALLOW_PRIVATE_HOSTS="true",
        FEED_POLL_INTERVAL="3600",
        GUILD_READY_TIMEOUT="0.05",
        LOG_LEVEL="INFO",
    )
    with log.open("ab") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=env,
            stdout=sink,
            stderr=sink,
            cwd=str(Path(__file__).parents[2]),
        )
    try:
        yield process
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()


@pytest.mark.timeout(90)
async def test_killed_between_send_and_record_announces_exactly_once(tmp_path: Path) -> None:
    double = DiscordDouble()
    interceptor = SendInterceptor(double)
    db, log = tmp_path / "bot.sqlite3", tmp_path / "bot.log"
    async with double:
        guild = double.add_guild("AI Daily Brief")
        episodes = double.add_text_channel(guild, "episodes")
        store = await Store.open(db)
        try:
            feed = await podcast(store, FEED_URL)
            await store.announcements.subscribe(guild.id, feed.id, episodes.id, ChannelKind.TEXT)
            item = await add_item(store, feed, "ep-crash", "Announced exactly once")
            interceptor.hold()  # Discord creates the message, the answer never comes back

            async with bot_process(double, db, log) as first:
                await _bounded(interceptor.held.wait(), 30, log, "the announcement to reach Discord")
                first.kill()  # SIGKILL: no clean-up, no chance to record the message id
                await first.wait()

            mine = [m for m in double.messages_in(episodes) if m.author.id == double.world.bot.id]
            assert len(mine) == 1  # Discord has it...
            delivery = await store.announcements.delivery_for(guild.id, item.id)
            assert delivery is not None and delivery.state is DeliveryState.PENDING and delivery.in_doubt
            assert delivery.message_id is None  # ...the bot never learnt it

            async with bot_process(double, db, log):

                async def recorded() -> bool:
                    found = await store.announcements.delivery_for(guild.id, item.id)
                    return found is not None and found.message_id is not None

                await eventually(recorded, timeout=30, what="the restarted bot to record the announcement")

            mine = [m for m in double.messages_in(episodes) if m.author.id == double.world.bot.id]
            assert [m.embeds[0]["title"] for m in mine] == ["Announced exactly once"]
            delivery = await store.announcements.delivery_for(guild.id, item.id)
            assert delivery is not None and delivery.message_id == mine[0].id and not delivery.in_doubt
            # The restarted bot found its message instead of sending again (the nonce would also have
            # returned it, within Discord's window): one create-message request in all.
            assert len(double.requests_to(f"POST /channels/{episodes.id}/messages")) == 1
        finally:
            await store.close()


async def _bounded(waiting: object, timeout: float, log: Path, what: str) -> None:
    try:
        await asyncio.wait_for(waiting, timeout)  # type: ignore[arg-type]
    except TimeoutError:
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
        raise AssertionError(f"timed out waiting for {what}; bot log:\n{tail}") from None
