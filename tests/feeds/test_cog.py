"""The feed worker cog wires the worker from settings, registers the built-in feeds, and starts its loop."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot.http import create_http_session
from bot.runner import create_bot
from bot.settings import Settings
from bot.store import Store
from bot.timeutil import utcnow
from cogs.feed_worker import FeedWorkerCog, tick_seconds
from tests.harness import hub_for
from tests.postgres import postgres_server, store_on_both_engines  # noqa: F401  (store on both engines)


async def test_loading_the_cog_registers_builtins_and_starts_polling(
    store: Store, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(
        podcast_feed_url="https://feeds.example.com/podcast.xml",
        newsletter_feed_url="https://feeds.example.com/newsletter.xml",
        feed_poll_interval=300,
        feed_max_concurrency=3,
        announce_window_days=2,
    )
    async with create_http_session(settings) as session:
        bot = create_bot(settings, store, session, extensions=["cogs.feed_worker"], sync_commands=False)
        await bot.__aenter__()  # what `async with bot` does: the loop that tasks wait on is set up
        await bot.load_extension("cogs.feed_worker")
        try:
            cog = bot.get_cog("FeedWorker")
            # load_extension imports the module afresh, so compare by name rather than by class identity
            assert type(cog).__name__ == FeedWorkerCog.__name__ and cog.poll_loop.is_running()
            worker = cog.worker
            assert (worker.interval, worker.max_concurrency, worker.window) == (300, 3, timedelta(days=2))
            assert worker.listener is hub_for(bot) and not worker.allow_private
            feeds = {feed.name: feed for feed in await store.feeds.list_feeds()}
            assert feeds["podcast"].url == "https://feeds.example.com/podcast.xml"
            assert (feeds["podcast"].kind, feeds["newsletter"].kind) == ("podcast", "newsletter")
            assert await cog.leader.hold()  # what the first tick does once the bot is ready
        finally:
            await bot.unload_extension("cogs.feed_worker")
            await bot.close()
    assert not cog.poll_loop.is_running()  # type: ignore[attr-defined]
    # Unloading (a clean shutdown) gave the feed poller's lease up: another process takes it at once.
    assert await store.leases.current("feed-poller", now=utcnow()) is None


async def test_the_tick_renews_the_lease_well_before_it_runs_out(
    store: Store, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(
        feed_poll_interval=86_400, feed_schedule_min_interval=86_400, leader_lease_seconds=30
    )
    async with create_http_session(settings) as session:
        bot = create_bot(settings, store, session, extensions=["cogs.feed_worker"], sync_commands=False)
        await bot.__aenter__()
        await bot.load_extension("cogs.feed_worker")
        try:
            cog = bot.get_cog("FeedWorker")
            assert cog.poll_loop.seconds == 10  # a third of the lease, not the minute a slow schedule allows
        finally:
            await bot.unload_extension("cogs.feed_worker")
            await bot.close()


async def test_builtin_feeds_follow_the_settings(store: Store) -> None:
    first = await store.feeds.ensure_builtin("podcast", "https://a.example/rss", "podcast")
    again = await store.feeds.ensure_builtin("podcast", "https://a.example/rss", "podcast")
    moved = await store.feeds.ensure_builtin("podcast", "https://b.example/rss", "podcast")
    assert first.id == again.id == moved.id and moved.url == "https://b.example/rss"
    assert len(await store.feeds.list_feeds()) == 1


def test_the_tick_is_short_but_bounded() -> None:
    assert tick_seconds(600) == 60 and tick_seconds(20) == 20 and tick_seconds(1) == 5
    assert tick_seconds(600, lease=30) == 10  # renews the leader's lease three times within it
    # The shortest lease (5 s): the 5 s floor would renew it just as it runs out, and it would lapse.
    assert tick_seconds(1, lease=5) == 5 / 3
