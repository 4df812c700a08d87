"""`/digest`, `/admin digest …` and the thread post, end to end: the real bot against the Discord double,
the real openai client against the OpenAI double."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

import aiohttp
import discord
import pytest
from openai import AsyncOpenAI

from bot.client import CommunityBot, apply_discord_endpoints
from bot.errors import NO_MENTIONS
from bot.runner import create_bot
from bot.settings import Settings
from bot.store import Store
from cogs.digests import Digests
from tests.digest.helpers import add_episode
from tests.digest.transcripts import SHORT, hour_transcript
from tests.doubles.discord import DiscordDouble, P
from tests.doubles.openai_double import OpenAIDouble


async def eventually(check: Callable[[], Awaitable[Any]], *, timeout: float = 5.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while not (value := await check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.01)
    return value


class Harness:
    def __init__(
        self, discord_double: DiscordDouble, store: Store, llm: AsyncOpenAI, settings: Settings
    ) -> None:
        self.double = discord_double
        self.store = store
        self.llm = llm
        self.settings = settings
        self.bot: CommunityBot | None = None
        self.task: asyncio.Task[None] | None = None
        self.session: aiohttp.ClientSession | None = None

    @property
    def cog(self) -> Digests:
        assert self.bot is not None
        cog = self.bot.get_cog("Digests")
        assert cog is not None
        return cast(Digests, cog)

    async def start(self) -> CommunityBot:
        apply_discord_endpoints(self.settings)
        self.session = aiohttp.ClientSession()
        self.bot = bot = create_bot(self.settings, self.store, self.session, llm=self.llm)
        self.task = asyncio.create_task(bot.start(self.double.token), name="bot-under-test")

        async def ready() -> bool:
            if self.task is not None and self.task.done():
                self.task.result()
            return bot.is_ready()

        await eventually(ready, timeout=10, what="the bot to be ready")
        return bot

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.close()
        if self.task is not None:
            await asyncio.wait_for(self.task, 10)
        if self.session is not None:
            await self.session.close()


@pytest.fixture
async def discord_double() -> AsyncIterator[DiscordDouble]:
    async with DiscordDouble() as running:
        with running.apply_to_discord_py():
            yield running


@pytest.fixture
async def harness(
    discord_double: DiscordDouble, double: OpenAIDouble, store: Store, make_settings: Callable[..., Settings]
) -> AsyncIterator[Harness]:
    settings = make_settings(
        discord_token=discord_double.token,
        discord_api_base=discord_double.api_base,
        discord_gateway_url=discord_double.gateway_url,
        guild_ready_timeout=0.05,
        openai_base_url=double.base_url,
        openai_model="double-model",
        llm_context_tokens=6000,
    )
    client = double.client(timeout=2)
    running = Harness(discord_double, store, client, settings)
    try:
        yield running
    finally:
        await running.stop()
        await client.close()


async def test_member_reads_a_digest_privately_then_publicly_paying_once(
    harness: Harness, discord_double: DiscordDouble, double: OpenAIDouble, store: Store
) -> None:
    guild = discord_double.add_guild("AI Daily Brief")
    discord_double.add_text_channel(guild, "general")
    member = discord_double.add_member(guild, "ada")
    item = await add_episode(store, "ep-812", "Ep 812: open weights win?", SHORT + " @everyone come look.")
    await harness.start()

    choices = await discord_double.autocomplete(
        guild, member, "digest", {"episode": "open w"}, focused="episode"
    )
    assert choices == [{"name": "Ep 812: open weights win?", "value": f"item:{item.id}"}]

    record = discord_double.invoke(guild, member, "digest", {"episode": f"item:{item.id}"})
    message = await (await record).wait_final(lambda m: bool(m.embeds))
    assert message.ephemeral
    embed = message.embeds[0]
    assert embed["title"] == "Digest: Ep 812: open weights win?"
    assert "double-model" in embed["footer"]["text"]
    assert "@everyone" not in str(embed)
    assert message.allowed_mentions is not None and message.allowed_mentions.get("parse") == []
    assert len(double.chat_requests) == 1

    public = await (await discord_double.invoke(guild, member, "digest", {"public": True})).wait_final(
        lambda m: bool(m.embeds)
    )
    assert not public.ephemeral
    assert public.embeds[0]["description"] == embed["description"]
    assert len(double.chat_requests) == 1  # the stored digest: nothing paid twice

    for typed in ("ep-812", "812"):  # a key, or a title fragment typed without picking a suggestion
        found = await (await discord_double.invoke(guild, member, "digest", {"episode": typed})).wait_final(
            lambda m: bool(m.embeds)
        )
        assert found.embeds[0]["title"] == "Digest: Ep 812: open weights win?"


async def test_moderator_regenerates_with_progress_and_members_cannot(
    harness: Harness, discord_double: DiscordDouble, double: OpenAIDouble, store: Store
) -> None:
    guild = discord_double.add_guild("AI Daily Brief")
    discord_double.add_text_channel(guild, "general")
    mod = discord_double.add_member(guild, "mod", permissions=P.MANAGE_GUILD)
    member = discord_double.add_member(guild, "bo")
    item = await add_episode(store, "ep-long", "A one-hour episode", hour_transcript(10_000))
    await harness.start()

    record = await discord_double.invoke(
        guild, mod, "admin digest regenerate", {"episode": f"item:{item.id}"}
    )
    final = await record.wait_final(lambda m: m.content.startswith("Regenerated"), timeout=15)
    assert final.ephemeral
    assert "by double-model" in final.content and "tokens in" in final.content
    parts = len(double.chat_requests) - 1
    assert parts >= 3
    progress = [content for content, _, _ in final.history if "Summarizing" in content]
    assert any(f"part 1 of {parts + 1} done" in p for p in progress)
    assert any("combining the parts" in p for p in progress)
    assert final.embeds[0]["title"] == "Digest: A one-hour episode"

    offline = await discord_double.invoke(
        guild, mod, "admin digest regenerate", {"episode": f"item:{item.id}", "backend": "offline"}
    )
    assert (
        "offline summarizer"
        in (await offline.wait_final(lambda m: m.content.startswith("Regenerated"))).content
    )
    assert len(double.chat_requests) == parts + 1

    status = await (await discord_double.invoke(guild, mod, "admin digest status")).wait_final()
    assert status.ephemeral
    assert "tokens today" in status.content and "double-model" in status.content
    assert f"{parts + 1} requests" in status.content
    assert "context 6,000 tokens (from LLM_CONTEXT_TOKENS)" in status.content
    assert "Structured output: json_schema" in status.content
    assert "LLM success rate, last 7 days: 1 of 1 digests (100%)" in status.content
    assert (
        "Failed requests, last 7 days: context 0, cut off 0, invalid 0, timeout 0, HTTP 0." in status.content
    )

    refused = await discord_double.invoke(
        guild,
        member,
        "admin digest regenerate",
        {"episode": f"item:{item.id}"},
        bypass_default_permissions=True,
    )
    answer = await refused.wait_final()
    assert answer.ephemeral and "Manage Server" in answer.content
    assert len(double.chat_requests) == parts + 1


async def test_unknown_episode_is_a_clear_refusal(harness: Harness, discord_double: DiscordDouble) -> None:
    guild = discord_double.add_guild("AI Daily Brief")
    discord_double.add_text_channel(guild, "general")
    member = discord_double.add_member(guild, "ada")
    await harness.start()
    record = await discord_double.invoke(guild, member, "digest", {"episode": "nothing like this"})
    answer = await record.wait_final()
    assert answer.ephemeral and "No episode or issue matches" in answer.content


async def test_digest_is_posted_in_the_episode_thread(
    harness: Harness, discord_double: DiscordDouble, store: Store
) -> None:
    guild = discord_double.add_guild("AI Daily Brief")
    episodes = discord_double.add_text_channel(guild, "episodes")
    item = await add_episode(store, "issue-9", "Issue 9", SHORT, kind="newsletter")
    bot = await harness.start()
    channel = bot.get_channel(episodes.id)
    assert isinstance(channel, discord.TextChannel)
    announcement = await channel.send("New issue: Issue 9", allowed_mentions=NO_MENTIONS)
    thread = await announcement.create_thread(name="Issue 9")
    digest, message = await harness.cog.post_digest(thread, item)
    assert digest.source == "newsletter"  # the feed's kind, looked up by the cog
    posted = discord_double.messages_in(thread.id)
    assert [m.id for m in posted] == [message.id]
    assert posted[0].embeds[0]["description"].startswith(digest.tldr[:50])
    assert posted[0].allowed_mentions is not None and posted[0].allowed_mentions.get("parse") == []
