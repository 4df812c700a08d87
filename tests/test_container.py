"""The composition root on its own: services built without a gateway connection (a REST-only client against
the Discord double) poll a feed, announce the new episode, and follow it up with a thread, a digest and a
poll, with no cog loaded and no bot running."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import aiohttp
import discord

from bot.announce.delivery import Outcome
from bot.announce.models import ChannelKind, DeliveryState, DigestState, PollState
from bot.container import Services, build_services
from bot.events import PollClosed, ThreadOpened
from bot.feeds.events import NullEvents
from bot.feeds.models import Feed, StoredItem
from bot.metrics import METRICS
from bot.settings import Settings
from bot.store import Store
from bot.timeutil import utcnow
from tests.doubles.discord import DiscordDouble
from tests.doubles.feed_server import FeedServer
from tests.feeds.builders import Item, rss

NOTES = (
    "<p>The open weights camp scored a win as a new AI model matched the closed frontier on coding. Meta "
    "and Mistral shipped releases this week, and developers compared them with GPT models. The debate over "
    "open versus closed AI turned to safety, licensing and who controls the weights.</p>"
)


def episode(n: int) -> Item:
    return Item(
        guid=f"guid-{n}",
        title=f"Episode {n}: open or closed?",
        link=f"https://example.com/ep/{n}",
        published=utcnow() - timedelta(hours=10 - n),
        description=NOTES,
        audio_url=f"https://cdn.example.com/{n}.mp3",
    )


class Heard(NullEvents):
    """A second listener on the container's event hub: what the feed worker announced to the process."""

    def __init__(self) -> None:
        self.new: list[str] = []

    async def on_new_items(self, feed: Feed, items: list[StoredItem]) -> None:
        self.new.extend(item.title for item in items)


async def announce_due(services: Services) -> list[Outcome]:
    """What the delivery loop does once: queue the pending items, then send every due announcement."""
    await services.outbox.dispatch_pending()
    due = await services.store.announcements.due_sends(utcnow(), limit=10)
    return [await services.announcer.deliver(delivery) for delivery in due]


@contextlib.asynccontextmanager
async def rest_services(
    double: DiscordDouble, store: Store, make_settings: Callable[..., Settings]
) -> AsyncIterator[tuple[Services, FeedServer, Settings]]:
    """The container built around a REST-only client (no gateway, no cog, no event loop of the bot), its
    podcast feed served locally and holding episode 1."""
    async with FeedServer() as server, aiohttp.ClientSession() as session:
        server.set_feed("/podcast.xml", rss([episode(1)], title="The AI Daily Brief"))
        settings = make_settings(
            podcast_feed_url=server.url("/podcast.xml"),
            newsletter_feed_url="http://127.0.0.1:9/newsletter.xml",
            feed_allow_private_hosts=True,
        )
        client = discord.Client(intents=discord.Intents.none())
        async with client:
            await client.login(double.token)
            yield (
                build_services(settings=settings, store=store, http_session=session, client=client),
                server,
                settings,
            )


async def test_services_alone_poll_announce_digest_and_poll(
    double: DiscordDouble, store: Store, make_settings: Callable[..., Settings]
) -> None:
    guild = double.add_guild("AI Daily Brief")
    episodes = double.add_text_channel(guild, "episodes")
    async with rest_services(double, store, make_settings) as (services, server, settings):
        assert services.feed_worker is not None and services.websub is None
        heard = Heard()
        services.feed_events.subscribe(heard)
        feed = await store.feeds.ensure_builtin("podcast", settings.podcast_feed_url, "podcast")
        await store.announcements.subscribe(guild.id, feed.id, episodes.id, ChannelKind.TEXT)

        await services.feed_worker.poll_feed(feed.id)  # the first read remembers, announces nothing
        assert await announce_due(services) == []
        server.set_feed("/podcast.xml", rss([episode(2), episode(1)], title="The AI Daily Brief"))
        result = await services.feed_worker.poll_feed(feed.id)
        assert [item.title for item in result.new_items] == ["Episode 2: open or closed?"]
        assert heard.new == ["Episode 2: open or closed?"]

        assert await announce_due(services) == [Outcome.SENT]
        (announcement,) = double.messages_in(episodes)
        assert announcement.embeds[0]["title"] == "Episode 2: open or closed?"
        assert announcement.allowed_mentions is not None

        (item,) = result.new_items
        delivery = await store.announcements.delivery_for(guild.id, item.id)
        assert delivery is not None and delivery.state is DeliveryState.SENT
        for _ in range(4):  # thread, tracking, digest, poll: one step or more per advance
            await services.pipeline.advance(delivery)
            delivery = await store.announcements.delivery_for(guild.id, item.id) or delivery
        assert delivery.state is DeliveryState.DONE and delivery.thread_id is not None
        assert (delivery.digest_state, delivery.poll_state) == (DigestState.APPLIED, PollState.DONE)
        assert await services.tracker.repo.get(delivery.thread_id) is not None

        digest = await services.digests.ensure_digest(item)  # the cached digest the thread got
        in_thread = double.messages_in(delivery.thread_id)
        assert any(m.embeds and digest.tldr in str(m.embeds[0]) for m in in_thread)
        (poll,) = await services.polls.search(guild.id, "", only_open=True)
        assert poll.item_id == item.id
        assert any(m.poll is not None or m.components for m in in_thread if m.id == poll.message_id)


async def test_thread_opened_and_poll_closed_reach_every_subscriber_despite_a_failing_one(
    double: DiscordDouble, store: Store, make_settings: Callable[..., Settings]
) -> None:
    guild = double.add_guild("AI Daily Brief")
    episodes = double.add_text_channel(guild, "episodes")
    async with rest_services(double, store, make_settings) as (services, server, settings):
        assert services.feed_worker is not None
        heard: list[ThreadOpened | PollClosed] = []

        async def broken(event: ThreadOpened | PollClosed) -> None:
            raise RuntimeError("a subscriber that always fails")

        async def hear(event: ThreadOpened | PollClosed) -> None:
            heard.append(event)

        for kind in (ThreadOpened, PollClosed):
            services.events.subscribe(kind, broken)  # subscribed first: must not stop the others
            services.events.subscribe(kind, hear)
        feed = await store.feeds.ensure_builtin("podcast", settings.podcast_feed_url, "podcast")
        await store.announcements.subscribe(guild.id, feed.id, episodes.id, ChannelKind.TEXT)
        await services.feed_worker.poll_feed(feed.id)
        server.set_feed("/podcast.xml", rss([episode(2), episode(1)], title="The AI Daily Brief"))
        (item,) = (await services.feed_worker.poll_feed(feed.id)).new_items
        assert await announce_due(services) == [Outcome.SENT]
        delivery = await store.announcements.delivery_for(guild.id, item.id)
        assert delivery is not None
        for _ in range(4):
            await services.pipeline.advance(delivery)
            delivery = await store.announcements.delivery_for(guild.id, item.id) or delivery
        assert delivery.state is DeliveryState.DONE and delivery.thread_id is not None

        (opened,) = heard
        assert isinstance(opened, ThreadOpened)
        assert (opened.thread_id, opened.guild_id, opened.item_id) == (
            delivery.thread_id,
            guild.id,
            item.id,
        )
        assert services.tracker.is_tracked(delivery.thread_id)  # the tracker's own subscription ran too

        (poll,) = await services.polls.search(guild.id, "", only_open=True)
        before = METRICS.polls_closed._value.get()
        await services.poll_closer.close(poll)
        closed = heard[1:]
        assert [(e.poll_id, e.guild_id, e.item_id) for e in closed if isinstance(e, PollClosed)] == [
            (poll.id, guild.id, item.id)
        ]
        assert METRICS.polls_closed._value.get() == before + 1  # the container's own reaction
        await services.poll_closer.run_due()  # closing again publishes nothing more
        assert len(heard) == 2
