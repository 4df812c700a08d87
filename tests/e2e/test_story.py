"""The whole story, through the real entry point and the three doubles.

A moderator configures the bot with its admin commands; a new episode appears in the podcast feed; the
bot announces it with a thread, posts the LLM digest and the poll there; a member votes and asks for the
latest episode; the process is killed (SIGKILL) and restarted; another episode appears; in the end every
episode was announced exactly once, with one digest and one poll in its thread, and nothing was lost.
"""

from __future__ import annotations

import signal
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from bot.timeutil import utcnow
from tests.doubles.discord import Channel, DiscordDouble, P
from tests.doubles.discord.models import Message
from tests.doubles.feed_server import FeedServer
from tests.doubles.openai_double import OpenAIDouble
from tests.e2e.process import BotProcess
from tests.e2e.test_entrypoint import bot_env
from tests.feeds.builders import Item, rss
from tests.harness import eventually

API_KEY = "sk-story-0123456789abcdef"
NOTES = (
    "An open-weights lab released a model that matches closed frontier systems on coding. "
    "Meanwhile a closed lab cut its API prices in half. "
    "Developers argue whether open weights can keep pace with proprietary research budgets. "
    "The episode closes with what this means for startups choosing a model."
)


def episode(number: int, title: str) -> Item:
    return Item(
        guid=f"aidb-{number:04d}",
        title=title,
        link=f"https://example.com/episodes/{number}",
        published=utcnow() - timedelta(hours=24 - number),
        description=f"<p>{NOTES}</p>",
        audio_url=f"https://example.com/audio/{number}.mp3",
        duration="00:24:31",
        episode=number,
    )


def feed_was_read(feeds: FeedServer) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return bool(feeds.requests_for("/podcast.xml"))

    return check


def ballots_stored(database: Path, count: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        with sqlite3.connect(database) as db:
            return db.execute("SELECT count(*) FROM poll_ballots").fetchone()[0] == count

    return check


def thread_named(double: DiscordDouble, name: str | None) -> Channel | None:
    return next((thread for thread in double.threads if thread.name == name), None)


def with_poll(double: DiscordDouble, name: str | None) -> bool:
    thread = thread_named(double, name)
    return thread is not None and any(m.poll for m in double.messages_in(thread.id))


def announcements(double: DiscordDouble, channel_id: int, title: str) -> list[Message]:
    return [
        message
        for message in double.messages_in(channel_id)
        if message.embeds and message.embeds[0].get("title") == title
    ]


async def test_configure_announce_digest_poll_vote_crash_restart(tmp_path: Path) -> None:
    first, second, third = (
        episode(1, "Before the bot arrived"),
        episode(2, "Open weights catch up on coding"),
        episode(3, "The price war between closed labs"),
    )
    async with DiscordDouble() as double, FeedServer() as feeds, OpenAIDouble() as llm:
        feeds.set_feed("/podcast.xml", rss([first], title="The AI Daily Brief"))
        feeds.set_feed("/newsletter.xml", rss([], title="The AI Daily Brief newsletter"))
        guild = double.add_guild("AI Daily Brief")
        episodes = double.add_text_channel(guild, "episodes")
        mods = double.add_text_channel(guild, "mods")
        mod = double.add_member(guild, "mod", permissions=P.MANAGE_GUILD)
        alice = double.add_member(guild, "alice")
        env = bot_env(
            double,
            feeds,
            tmp_path,
            OPENAI_BASE_URL=llm.base_url,
            OPENAI_API_KEY=API_KEY,
            OPENAI_MODEL=llm.model,
            OPENAI_TIMEOUT="5",
        )
        process = await BotProcess(env, tmp_path).start()
        try:
            await double.wait_for(
                lambda: (
                    bool(double.gateway.identifies) and any(c["name"] == "admin" for c in double.commands())
                ),
                timeout=30,
                description="the bot to connect and sync its commands",
            )
            # The first read of the feed remembers what is there and announces nothing.
            await eventually(feed_was_read(feeds), timeout=30, what="the first read of the podcast feed")

            # A moderator configures the bot with its admin commands.
            for name, options in (
                ("admin modlog", {"channel": mods}),
                ("admin feed channel", {"feed": "podcast", "channel": episodes}),
            ):
                record = await double.invoke(guild, mod, name, options)
                reply = await record.wait_final(timeout=15)
                assert record.ephemeral and "✅" in reply.content, reply.content

            # A new episode appears; the moderator asks for a check rather than waiting an hour.
            feeds.set_feed("/podcast.xml", rss([second, first], title="The AI Daily Brief"))
            await (await double.invoke(guild, mod, "admin feed check", {"feed": "podcast"})).wait_final(
                timeout=15
            )
            [announcement] = [
                await double.wait_for_message(
                    episodes.id,
                    lambda m: bool(announcements(double, episodes.id, second.title or "")),
                    timeout=20,
                )
            ]
            assert announcement.allowed_mentions is not None and not announcement.mention_everyone
            await double.wait_for(lambda: with_poll(double, second.title), timeout=30, description="poll")
            thread = double.thread_named(second.title or "")
            poll_message = await double.wait_for_message(thread.id, lambda m: m.poll is not None, timeout=30)
            digest = [m for m in double.messages_in(thread.id) if m.embeds and m.poll is None]
            assert len(digest) == 1 and llm.chat_requests, "the LLM digest is posted in the thread"

            # A member votes and asks for the latest episode.
            await double.vote(poll_message, 1, alice)
            latest = await double.invoke(guild, alice, "latest")
            reply = await latest.wait_final(timeout=15)
            assert second.title in str(reply.embeds) + reply.content

            await eventually(
                ballots_stored(tmp_path / "bot.sqlite3", 1), timeout=15, what="the vote mirrored"
            )

            # The process is killed outright, then restarted on the same database.
            assert await process.stop(signal.SIGKILL) == -signal.SIGKILL
            feeds.set_feed("/podcast.xml", rss([third, second, first], title="The AI Daily Brief"))
            identified = len(double.gateway.identifies)
            process = await BotProcess(env, tmp_path).start()
            await double.wait_for(lambda: len(double.gateway.identifies) > identified, timeout=30)
            await (await double.invoke(guild, mod, "admin feed check", {"feed": "podcast"})).wait_final(
                timeout=15
            )
            await double.wait_for(lambda: with_poll(double, third.title), timeout=30, description="poll 3")
            assert await process.stop(signal.SIGTERM) == 0, process.log
        finally:
            await process.kill_quietly()

    # Exactly once, nothing lost.
    assert announcements(double, episodes.id, first.title or "") == []
    for item in (second, third):
        assert len(announcements(double, episodes.id, item.title or "")) == 1, item.title
        thread = double.thread_named(item.title or "")
        posts = double.messages_in(thread.id)
        assert len([m for m in posts if m.poll is not None]) == 1, f"one poll for {item.title}"
        assert len([m for m in posts if m.embeds and m.poll is None]) == 1, f"one digest for {item.title}"
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM poll_ballots").fetchone()[0] == 1  # alice's vote, mirrored
    assert API_KEY not in process.log and double.token not in process.log
