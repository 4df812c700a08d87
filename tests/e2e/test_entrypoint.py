"""The real entry point, `python -m bot run`, as a subprocess against the Discord and feed doubles."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta
from pathlib import Path

from bot.feeds.leader import LEASE_NAME
from bot.store import Store
from bot.timeutil import utcnow
from tests.conftest import PYTHON, bot_subprocess_env
from tests.doubles.discord import DiscordDouble
from tests.doubles.feed_server import FeedServer
from tests.e2e.process import BotProcess

FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>The AI Daily Brief</title><link>https://example.com/</link>
<item><title>Yesterday's episode</title><guid isPermaLink="false">ep-1</guid>
<pubDate>Sat, 28 Nov 2026 10:00:00 GMT</pubDate><description>Open weights news.</description></item>
</channel></rss>"""


def bot_env(double: DiscordDouble, feeds: FeedServer, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        "DISCORD_TOKEN": double.token,
        "DISCORD_API_BASE": double.api_base,
        "DISCORD_GATEWAY_URL": double.gateway_url,
        "GUILD_READY_TIMEOUT": "0.05",
        "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
        "PODCAST_FEED_URL": feeds.url("/podcast.xml"),
        "NEWSLETTER_FEED_URL": feeds.url("/newsletter.xml"),
        "FEED_ALLOW_PRIVATE_HOSTS": "true",
        "FEED_POLL_INTERVAL": "3600",
        "LOG_LEVEL": "INFO",
    }
    env.update(extra)
    return env


async def test_entry_point_answers_a_slash_command_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    async with DiscordDouble() as double, FeedServer() as feeds:
        feeds.set_feed("/podcast.xml", FEED)
        feeds.set_feed("/newsletter.xml", FEED.replace(b"ep-1", b"issue-1"))
        guild = double.add_guild("AI Daily Brief")
        double.add_text_channel(guild, "general")
        alice = double.add_member(guild, "alice")
        process = await BotProcess(bot_env(double, feeds, tmp_path), tmp_path).start()
        try:
            await double.wait_for(
                lambda: bool(double.gateway.identifies) and double.command_named("about") is not None,
                timeout=30,
                description="the subprocess bot to identify and sync its commands",
            )
            record = await double.invoke(guild, alice, "about")
            reply = await record.wait_final(timeout=10)
            assert record.ephemeral
            assert reply.embeds[0]["title"] == "The AI Daily Brief community bot"
            assert reply.allowed_mentions is not None

            code = await process.stop(signal.SIGTERM)
        finally:
            await process.kill_quietly()
    assert code == 0, process.log
    assert "signal received: shutting down" in process.log
    assert "shutdown complete" in process.log
    assert "Traceback" not in process.log
    assert double.token not in process.log


async def test_commands_are_synced_once_and_not_again_when_unchanged(tmp_path: Path) -> None:
    async with DiscordDouble() as double, FeedServer() as feeds:
        feeds.set_feed("/podcast.xml", FEED)
        feeds.set_feed("/newsletter.xml", FEED)
        double.add_guild("AI Daily Brief")
        env = bot_env(double, feeds, tmp_path)
        for _ in range(2):
            before = len(double.gateway.identifies)
            process = await BotProcess(env, tmp_path).start()
            try:
                await double.wait_for(
                    lambda before=before: len(double.gateway.identifies) > before,
                    timeout=30,
                    description="the bot to identify",
                )
                assert await process.stop(signal.SIGTERM) == 0, process.log
            finally:
                await process.kill_quietly()
    assert len(double.command_store.sync_log) == 1


async def test_sync_command_registers_the_tree_globally_or_in_one_guild(tmp_path: Path) -> None:
    async with DiscordDouble() as double, FeedServer() as feeds:
        guild = double.add_guild("AI Daily Brief")
        env = bot_env(double, feeds, tmp_path)
        # A bot running on this file holds the feed poller's lease; `sync` beside it must leave it alone.
        store = await Store.open(tmp_path / "bot.sqlite3")
        try:
            await store.leases.acquire(LEASE_NAME, "running-bot", now=utcnow(), duration=timedelta(hours=1))
        finally:
            await store.close()
        for args, where in ((["--guild", str(guild.id)], f"guild {guild.id}"), ([], "all guilds (global)")):
            process = await asyncio.create_subprocess_exec(
                PYTHON,
                "-m",
                "bot",
                "sync",
                *args,
                cwd=tmp_path,
                env=bot_subprocess_env(**env),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await asyncio.wait_for(process.communicate(), 60)
            assert process.returncode == 0, err.decode()
            assert f"to {where}" in out.decode() and "Traceback" not in err.decode()
        assert {c["name"] for c in double.commands(guild)} >= {"about", "admin", "poll", "search"}
        assert {c["name"] for c in double.commands()} == {c["name"] for c in double.commands(guild)}
        assert not double.gateway.identifies  # sync talks REST only; it never connects to the gateway
        store = await Store.open(tmp_path / "bot.sqlite3")
        try:
            lease = await store.leases.current(LEASE_NAME, now=utcnow())
            assert lease is not None and lease.holder == "running-bot"
        finally:
            await store.close()
