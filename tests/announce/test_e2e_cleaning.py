"""A real-shaped Anchor episode through the whole path: what members read is clean, the store keeps the feed.

An Anchor / Spotify for Podcasters item (sponsor list, `---` footer behind a sponsor-tracking redirect,
a tracked page link, a `/podcast/play/` enclosure, Podcasting 2.0 season and episode) is served on
127.0.0.1, read by the real FeedWorker and announced through the Discord double.
"""

from __future__ import annotations

from datetime import timedelta

import aiohttp

from bot.announce.models import DeliveryState
from bot.feeds.fetch import Fetcher
from bot.feeds.worker import FeedWorker
from bot.search import SearchService
from bot.store import Store
from bot.store.search import SearchRepo
from bot.timeutil import utcnow
from tests.announce.conftest import AnnounceRunner, World
from tests.announce.flows import bot_messages, configure, delivery_state
from tests.doubles.feed_server import FeedServer
from tests.feeds.builders import Item, rss
from tests.feeds.footers import ANCHOR, ANCHOR_PLAIN, ANCHOR_PLAY_URL
from tests.harness import eventually, hub_for

TRACKED_LINK = "https://podcasters.spotify.com/pod/show/aidailybrief/episodes/Open-weights-e2u1v3k?utm_source=rss&ref=feed"


def anchor_item(n: int, **fields: object) -> Item:
    values: dict[str, object] = {
        "guid": f"0f8c1c1e-6f55-4d4e-9d1a-00000000000{n}",
        "title": f"Open weights, part {n}",
        "link": f"https://example.com/ep/{n}",
        "published": utcnow() - timedelta(hours=10 - n),
        "description": f"<p>Notes of episode {n}.</p>",
        "audio_url": f"https://cdn.example.com/{n}.mp3",
    }
    values.update(fields)
    return Item(**values)  # type: ignore[arg-type]


async def test_an_anchor_episode_is_announced_and_indexed_without_boilerplate(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    async with FeedServer() as server, aiohttp.ClientSession() as session:
        server.set_feed("/podcast.xml", rss([anchor_item(1)], title="The AI Daily Brief"))
        bot = await runner.start(podcast_feed_url=server.url("/podcast.xml"))
        await configure(runner, world, world.episodes)
        feed = await store.feeds.get_feed_by_name("podcast")
        assert feed is not None
        worker = FeedWorker(store, Fetcher(session, allow_private=True), listener=hub_for(bot), jitter=0)
        await worker.poll_feed(feed.id)  # first read: remembered, not announced

        episode = anchor_item(
            2,
            link=TRACKED_LINK,
            description=ANCHOR,
            audio_url=ANCHOR_PLAY_URL,
            season=4,  # the iTunes tags say otherwise: the podcast namespace wins
            episode=1,
            extra='<podcast:season>2</podcast:season><podcast:episode display="Ch. 3">3</podcast:episode>',
        )
        short = anchor_item(3, description=ANCHOR_PLAIN)  # the footer glued to the only paragraph
        items = [short, episode, anchor_item(1)]
        server.set_feed("/podcast.xml", rss(items, title="The AI Daily Brief"))
        new, new_short = (await worker.poll_feed(feed.id)).new_items
        for item in (new, new_short):
            await eventually(
                lambda item=item: delivery_state(store, world.guild.id, item.id, DeliveryState.DONE),
                what="announced",
            )

    message, short_message = bot_messages(world, world.episodes)
    assert short_message.embeds[0]["description"] == (
        "We walk through the new chip export rules and what they mean for open models."
    )
    embed = message.embeds[0]
    assert embed["description"].startswith("Open-weights labs closed most of the gap")
    assert embed["url"] == TRACKED_LINK.split("?")[0]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Episode"] == "Season 2 · Ch. 3"
    buttons = {c["label"]: c.get("url") for row in message.components for c in row["components"]}
    assert buttons["Listen"] == TRACKED_LINK.split("?")[0]

    # The store keeps the feed's own text and audio URL, untouched.
    stored = await store.feeds.get_item(new.id)
    assert stored is not None
    assert "This episode is sponsored by" in stored.summary_text and "KPMG" in stored.summary_text
    assert stored.audio_url == ANCHOR_PLAY_URL and stored.link == TRACKED_LINK

    # The search index has the episode's words and none of the footer or sponsor list.
    search = SearchService(SearchRepo(store.db), page_size=5)
    assert (await search.search(world.guild.id, "price cuts")).total == 1
    for boilerplate in ("easiest way to make a podcast", "KPMG", "Vanta", "brought to you", "voice message"):
        assert (await search.search(world.guild.id, boilerplate)).total == 0, boilerplate
