"""Starting a bot whose podcast feed declares the hub double, followed by the world's guild."""

from __future__ import annotations

from dataclasses import dataclass

from bot.client import CommunityBot
from bot.feeds.models import Feed
from bot.store import Store
from bot.store.websub import WebSubSubscription
from bot.websub.subscriber import WebSubService
from tests.announce.conftest import World
from tests.announce.flows import configure, episode
from tests.doubles.feed_server import FeedServer
from tests.doubles.websub_hub import WebSubHub
from tests.feeds.builders import Item, rss
from tests.harness import eventually
from tests.ops.conftest import OpsRunner, free_port


@dataclass
class Pushed:
    """A bot whose podcast feed declares the hub, followed by the world's guild, with its subscription."""

    bot: CommunityBot
    feed: Feed
    topic: str
    service: WebSubService
    server: FeedServer
    hub: WebSubHub

    def publish_body(self, items: list[Item]) -> bytes:
        body = rss(items, title="The AI Daily Brief", channel_extra=self.hub.links(self.topic))
        self.server.set_feed("/podcast.xml", body)
        return body


async def start_pushed(
    runner: OpsRunner, world: World, store: Store, server: FeedServer, hub: WebSubHub, *, follow: bool = True
) -> Pushed:
    """Start the bot with push on; its first poll finds the hub; (follow) a moderator sets the channel."""
    topic = server.url("/podcast.xml")
    server.set_feed(
        "/podcast.xml", rss([episode(1)], title="The AI Daily Brief", channel_extra=hub.links(topic))
    )
    port = free_port()
    bot = await runner.start(podcast_feed_url=topic, http_port=port, public_url=f"http://127.0.0.1:{port}")
    feed = await store.feeds.get_feed_by_name("podcast")
    assert feed is not None
    await eventually(lambda: store.websub.get(feed.id), what="the feed's hub recorded by its first poll")
    if follow:
        await configure(runner, world, world.episodes)
    return Pushed(bot, feed, topic, runner.bot.get_cog("WebSub").service, server, hub)  # type: ignore[union-attr]


async def subscription(store: Store, feed: Feed) -> WebSubSubscription:
    sub = await store.websub.get(feed.id)
    assert sub is not None
    return sub
