"""The rules behind `/admin feed`'s options: a guild names its own feeds and the built-ins, never a feed
only another server follows, and an autocomplete keystroke costs one query whatever the number of feeds."""

from __future__ import annotations

from unittest import mock

from bot.announce.directory import FeedDirectory
from bot.announce.models import ChannelKind
from bot.store import Store
from tests.announce.helpers import add_item, podcast

GUILD, OTHER = 1, 2
URLS = {"podcast": "https://example.com/podcast.xml", "newsletter": "https://example.com/newsletter.xml"}


async def test_options_cover_the_guilds_feeds_and_the_builtins_but_no_other_servers_feed(
    store: Store,
) -> None:
    show = await podcast(store)
    mine = await store.feeds.add_feed("https://mine.example/rss")
    theirs = await store.feeds.add_feed("https://theirs.example/rss")
    for feed in (mine, show):
        await store.announcements.subscribe(GUILD, feed.id, 10, ChannelKind.TEXT)
    await store.announcements.subscribe(OTHER, theirs.id, 20, ChannelKind.TEXT)
    await add_item(store, mine, "m1", "Agents in the enterprise")
    await add_item(store, theirs, "t1", "Agents at the edge")
    directory = FeedDirectory(store, URLS, None)

    options = await directory.feed_options(GUILD, "", followed_only=False)
    assert [o.value for o in options] == [str(mine.id), "podcast", "newsletter"]
    assert [o.value for o in await directory.feed_options(GUILD, "", followed_only=True)] == [
        str(mine.id),
        "podcast",
    ]
    assert [o.label for o in await directory.item_options(GUILD, "agents")] == ["Agents in the enterprise"]
    assert [o.label for o in await directory.item_options(OTHER, "agents")] == ["Agents at the edge"]

    real = store.db.fetchall
    with mock.patch.object(store.db, "fetchall", autospec=True, side_effect=real) as fetchall:
        await directory.feed_options(GUILD, "a", followed_only=False)
        await directory.item_options(GUILD, "a")
    assert fetchall.call_count == 2  # one query per keystroke, not one per followed feed
