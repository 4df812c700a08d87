"""A second server probing feed ids learns nothing: another server's feed looks exactly like no feed."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.announce.models import ChannelKind
from bot.store import Store
from tests.announce.conftest import AnnounceRunner, World
from tests.doubles.discord import P

PRIVATE_TITLE = "A's private roundup"
PROBES: dict[str, dict[str, object]] = {
    "admin feed remove": {},
    "admin feed check": {},
    "admin feed pause": {},
    "admin feed resume": {},
    "admin feed settings": {"threads": True},
    "admin feed backfill": {"count": 2},
    "admin feed role": {},
}


@asynccontextmanager
async def feed_queries(store: Store) -> AsyncIterator[list[str]]:
    """The SQL statements that read the feeds table while the block runs (the work a probe costs)."""
    seen: list[str] = []

    def trace(sql: str) -> None:
        if re.search(r"\b(FROM|JOIN) feeds\b", sql):
            seen.append(re.sub(r"\d+|'[^']*'", "?", sql))

    await store.db.conn.set_trace_callback(trace)
    try:
        yield seen
    finally:
        await store.db.conn.set_trace_callback(None)


async def test_a_second_server_probing_feed_ids_learns_nothing(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double = world.double
    other = double.add_guild("Server B")
    b_channel = double.add_text_channel(other, "news")
    b_mod = double.add_member(other, "b-mod", permissions=P.MANAGE_GUILD)
    await runner.start()
    private = await store.feeds.add_feed("https://a-only.example.com/feed.xml")
    await store.feeds.update_feed(private.id, title=PRIVATE_TITLE)
    await store.announcements.subscribe(world.guild.id, private.id, world.episodes.id, ChannelKind.TEXT)
    missing = private.id + 1000
    before = await store.announcements.get_subscription(world.guild.id, private.id)

    async def probe(command: str, feed_id: int, **extra: object) -> tuple[str, list[str]]:
        options = {"feed": str(feed_id), **PROBES.get(command, {}), **extra}
        async with feed_queries(store) as queries:
            reply = await (await double.invoke(other, b_mod, command, options)).wait_final()
        text = reply.content + reply.text()
        return text.replace(str(feed_id), "<id>"), queries

    for command in [*PROBES, "admin feed channel"]:
        extra = {"channel": b_channel.id} if command == "admin feed channel" else {}
        private_text, private_work = await probe(command, private.id, **extra)
        missing_text, missing_work = await probe(command, missing, **extra)
        assert PRIVATE_TITLE not in private_text and "a-only.example.com" not in private_text, command
        assert private_text == missing_text, (command, private_text, missing_text)
        assert private_work == missing_work, (command, private_work, missing_work)
        # the refusal names a next step that works, never the command that just refused
        assert "/admin feed add" in private_text, (command, private_text)
        assert f"`/{command}`" not in private_text

    # nothing of server A changed, and the next step offered does work for server B
    assert await store.announcements.get_subscription(world.guild.id, private.id) == before
    assert await store.announcements.get_subscription(other.id, private.id) is None
    added = await (
        await double.invoke(other, b_mod, "admin feed channel", {"feed": "podcast", "channel": b_channel.id})
    ).wait_final()
    assert "will be announced" in added.content
    paused = await (await double.invoke(other, b_mod, "admin feed pause", {"feed": "podcast"})).wait_final()
    assert "paused here" in paused.content


async def test_a_builtin_feed_not_yet_set_up_points_to_the_command_that_sets_it_up(
    runner: AnnounceRunner, world: World
) -> None:
    await runner.start()
    reply = await (
        await world.double.invoke(world.guild, world.mod, "admin feed pause", {"feed": "newsletter"})
    ).wait_final()
    assert "does not announce the newsletter yet" in reply.content
    assert "`/admin feed channel feed:newsletter channel:#…`" in reply.content
    autocomplete = await world.double.autocomplete(
        world.guild, world.mod, "admin feed pause", {"feed": ""}, focused="feed"
    )
    assert autocomplete == []
