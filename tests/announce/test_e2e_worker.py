"""The whole path: a feed on 127.0.0.1 → the real FeedWorker → its events → the announcement in Discord."""

from __future__ import annotations

import aiohttp

from bot.announce.models import DeliveryState
from bot.feeds.fetch import Fetcher
from bot.feeds.worker import FeedWorker
from bot.store import Store
from tests.announce.conftest import AnnounceRunner, World
from tests.announce.flows import bot_messages, configure, delivery_state, episode
from tests.doubles.feed_server import FeedServer
from tests.feeds.builders import rss
from tests.harness import eventually, hub_for


async def test_new_edited_and_failing_feed_reach_the_guild(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double = world.double
    async with FeedServer() as server, aiohttp.ClientSession() as session:
        server.set_feed("/podcast.xml", rss([episode(1)], title="The AI Daily Brief"))
        bot = await runner.start(podcast_feed_url=server.url("/podcast.xml"))
        await configure(runner, world, world.episodes)
        feed = await store.feeds.get_feed_by_name("podcast")
        assert feed is not None
        worker = FeedWorker(
            store, Fetcher(session, allow_private=True), listener=hub_for(bot), failing_after=2, jitter=0
        )

        await worker.poll_feed(feed.id)  # first read: remember everything, announce nothing
        server.set_feed("/podcast.xml", rss([episode(2), episode(1)], title="The AI Daily Brief"))
        result = await worker.poll_feed(feed.id)
        assert [i.title for i in result.new_items] == ["Episode 2"]
        new = result.new_items[0]

        await eventually(
            lambda: delivery_state(store, world.guild.id, new.id, DeliveryState.DONE), what="done"
        )
        (message,) = bot_messages(world, world.episodes)
        assert message.embeds[0]["title"] == "Episode 2"
        assert {f["name"]: f["value"] for f in message.embeds[0]["fields"]}["Duration"] == "42:10"

        server.set_feed(
            "/podcast.xml", rss([episode(2, "Episode 2 (fixed)"), episode(1)], title="The AI Daily Brief")
        )
        result = await worker.poll_feed(feed.id)
        assert [i.id for i in result.edited_items] == [new.id]
        await double.wait_for(
            lambda: bot_messages(world, world.episodes)[0].embeds[0]["title"] == "Episode 2 (fixed)",
            timeout=10,
            description="the announcement edited in place",
        )
        assert len(bot_messages(world, world.episodes)) == 1

        server.set_status("/podcast.xml", 503)
        await worker.poll_feed(feed.id)
        await worker.poll_feed(feed.id)
        alert = await double.wait_for_message(
            world.modlog.id, lambda m: "is failing" in m.content, timeout=10
        )
        assert "The AI Daily Brief" in alert.content and alert.allowed_mentions == {"parse": []}


async def test_add_previews_follows_and_check_polls(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double, guild, mod = world.double, world.guild, world.mod
    async with FeedServer() as server:
        server.set_feed(
            "/other.xml", rss([episode(2, "Other show 2"), episode(1, "Other show 1")], title="Other")
        )
        await runner.start()
        record = await (
            await double.invoke(guild, mod, "admin feed add", {"url": server.url("/other.xml")})
        ).wait_final()
        assert "not running" in record.content  # no worker yet: a clear refusal, nothing stored

        await runner.stop()  # start again, this time with the feed poller
        await runner.start(extensions=(*AnnounceRunner.extensions, "cogs.feed_worker"))
        record = await (
            await double.invoke(
                guild, mod, "admin feed add", {"url": server.url("/other.xml"), "channel": world.episodes.id}
            )
        ).wait_final()
        assert "Following" in record.content and world.episodes.mention in record.content
        assert "Other show 2" in record.content and "Other show 1" in record.content
        feed = await store.feeds.get_feed_by_url(server.url("/other.xml"))
        assert feed is not None
        sub = await store.announcements.get_subscription(guild.id, feed.id)
        assert sub is not None and sub.channel_id == world.episodes.id

        record = await (
            await double.invoke(guild, mod, "admin feed check", {"feed": str(feed.id)})
        ).wait_final()
        assert "Checked" in record.content and "new item(s)" in record.content
        assert bot_messages(world, world.episodes) == []  # a first read announces nothing

        record = await (
            await double.invoke(guild, mod, "admin feed add", {"url": "http://169.254.169.254/latest"})
        ).wait_final()
        assert "couldn't read that feed" in record.content
