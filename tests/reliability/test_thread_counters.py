"""A crash loses at most the thread activity of the last flush interval, never a tracked thread.

`python -m bot run` with TRACKER_FLUSH_INTERVAL=1 tracks a forum; members post in a thread at a steady
rate; the process is SIGKILLed mid-stream and restarted on the same database. The counter may miss what
arrived since the last flush (the promise: seconds of counts), and the thread stays tracked.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest

from bot.store import Store
from tests.doubles.discord import DiscordDouble, P
from tests.e2e.process import BotProcess
from tests.reliability.harness import eventually, figure

FLUSH = 1.0
RATE = 10.0  # messages a second


@pytest.mark.timeout(180)
async def test_a_crash_loses_at_most_one_flush_interval_of_counts(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    async with DiscordDouble() as double:
        guild = double.add_guild("AI Daily Brief")
        double.add_text_channel(guild, "general")
        forum = double.add_forum_channel(guild, "discussions", tags=["news"])
        mod = double.add_member(guild, "mod", permissions=P.MANAGE_GUILD)
        members = [double.add_member(guild, f"m{n}") for n in range(3)]
        env = {
            "DISCORD_TOKEN": double.token,
            "DISCORD_API_BASE": double.api_base,
            "DISCORD_GATEWAY_URL": double.gateway_url,
            "GUILD_READY_TIMEOUT": "0.05",
            "DATABASE_PATH": str(db),
            "PODCAST_FEED_URL": "http://127.0.0.1:9/podcast.xml",
            "NEWSLETTER_FEED_URL": "http://127.0.0.1:9/newsletter.xml",
            "FEED_POLL_INTERVAL": "3600",
            "TRACKER_FLUSH_INTERVAL": str(FLUSH),
        }
        process = await BotProcess(env, tmp_path).start()
        store = None
        try:
            await double.wait_for(lambda: bool(double.gateway.identifies), timeout=60, description="connect")
            await (await double.invoke(guild, mod, "admin threads track", {"channel": forum})).wait_final()
            thread, _ = await double.create_forum_post(
                forum, members[0], "Open or closed?", ["news"], content="go"
            )
            store = await Store.open(db)

            async def tracked() -> bool:
                return await store.threads.get(thread.id) is not None  # type: ignore[union-attr]

            await eventually(tracked, timeout=20, what="the new forum post to be tracked")
            posted = 1  # the starter message
            started = time.monotonic()
            while time.monotonic() - started < 3.0:  # a steady stream, then the crash mid-stream
                await double.post_message(thread, members[posted % len(members)], f"message {posted}")
                posted += 1
                await asyncio.sleep(1 / RATE)
            assert await process.stop(signal.SIGKILL) == -signal.SIGKILL
            counted_at_crash = (await store.threads.get(thread.id)).message_count  # type: ignore[union-attr]

            process = await BotProcess(env, tmp_path).start()
            await double.wait_for(
                lambda: len(double.gateway.identifies) >= 2, timeout=60, description="the restart"
            )
            await double.post_message(thread, members[0], "after the restart")
            posted += 1

            async def counted_again() -> int | None:
                row = await store.threads.get(thread.id)  # type: ignore[union-attr]
                return row.message_count if row and row.message_count > counted_at_crash else None

            final = await eventually(counted_again, timeout=20, what="counting to resume after the restart")
            assert await process.stop(signal.SIGTERM) == 0, process.log[-2000:]
            row = await store.threads.get(thread.id)
            assert row is not None and row.state != "deleted"  # still tracked
            final = row.message_count
        finally:
            await process.kill_quietly()
            if store is not None:
                await store.close()
    lost = posted - final
    allowed = int(RATE * (FLUSH + 1.0))  # one flush interval of messages, plus a second of slack
    assert 0 <= lost <= allowed, (posted, counted_at_crash, final)
    figure(
        "thread counters",
        f"{posted} messages posted at {RATE:g}/s, SIGKILL mid-stream with TRACKER_FLUSH_INTERVAL={FLUSH:g}s: "
        f"{counted_at_crash} counted at the crash, {final} in the end, lost {lost} (bound {allowed}); "
        f"thread still tracked",
    )
