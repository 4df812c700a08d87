"""The worker's schedule end to end: a real fetch from the feed server, the real store, the real planner."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.feeds.schedule import ScheduleConfig
from bot.feeds.worker import FeedWorker
from bot.store import Store
from bot.timeutil import utcnow
from tests.doubles.feed_server import FeedServer
from tests.feeds.builders import Item, rss

NEW_YORK = ZoneInfo("America/New_York")


def weekday_episodes(weeks: int) -> list[Item]:
    """Weekday episodes at 06:00 New York time for the past `weeks` weeks, newest first."""
    items = []
    today = utcnow().astimezone(NEW_YORK)
    for n in range(1, weeks * 7):
        day = today - timedelta(days=n)
        if day.weekday() < 5:
            published = day.replace(hour=6, minute=n % 7, second=0).astimezone(UTC)
            items.append(Item(guid=f"ep-{n}", title=f"Episode {n}", published=published))
    return items


def seconds_until(moment: datetime | None) -> float:
    assert moment is not None
    return (moment - utcnow()).total_seconds()


async def test_a_feed_with_history_is_polled_on_its_learned_schedule_and_says_why(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker]
) -> None:
    server.set_feed("/show", rss(weekday_episodes(8)))
    feed = await store.feeds.add_feed(server.url("/show"))
    worker = make_worker()
    await worker.poll_feed(feed.id)
    state = await store.feeds.get_feed(feed.id)
    assert state is not None and state.poll_reason is not None
    assert "publishing windows (Mon–Fri around " in state.poll_reason
    assert 0 < seconds_until(state.next_poll_at) <= 3600
    pattern, history, _ = await worker.planner.learned(state, utcnow())
    assert pattern is not None and history == len(weekday_episodes(8))
    next_weekday = utcnow().astimezone(NEW_YORK) + timedelta(days=1)
    while next_weekday.weekday() >= 5:
        next_weekday += timedelta(days=1)
    usual = next_weekday.replace(hour=6, minute=3)
    assert pattern.interval_at(usual) <= 60  # every minute or faster at the show's usual hour
    assert pattern.interval_at(usual + timedelta(hours=8)) >= 600  # rarely in the afternoon


async def test_a_new_feed_polls_at_the_fixed_interval_or_its_declared_cadence(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker]
) -> None:
    server.set_feed("/young", rss(weekday_episodes(1)[:2]))
    server.set_feed("/declares", rss(weekday_episodes(1)[:2], channel_extra="<ttl>180</ttl>"))
    young = await store.feeds.add_feed(server.url("/young"))
    declares = await store.feeds.add_feed(server.url("/declares"))
    worker = make_worker()
    await worker.poll_due()
    fixed = await store.feeds.get_feed(young.id)
    assert fixed is not None and "too little history" in (fixed.poll_reason or "")
    assert 500 < seconds_until(fixed.next_poll_at) < 700
    slow = await store.feeds.get_feed(declares.id)
    assert slow is not None and slow.declared_interval == 180 * 60
    assert "declares updates every 3 h" in (slow.poll_reason or "")
    assert 3000 < seconds_until(slow.next_poll_at) <= 3960  # capped at the longest interval, jittered


async def test_cache_control_max_age_delays_the_next_poll(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker]
) -> None:
    server.set_feed("/cached", rss(weekday_episodes(8)), headers={"Cache-Control": "public, max-age=5400"})
    feed = await store.feeds.add_feed(server.url("/cached"))
    await make_worker().poll_feed(feed.id)
    state = await store.feeds.get_feed(feed.id)
    assert state is not None and state.cache_max_age == 5400
    assert seconds_until(state.next_poll_at) > 3500  # max-age counts up to the longest interval (1 h)
    assert "cache keeps it 90 min" in (state.poll_reason or "")


async def test_push_active_lowers_polling_to_the_safety_net_and_check_now_still_polls(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker]
) -> None:
    server.set_feed("/pushed", rss(weekday_episodes(8)))
    feed = await store.feeds.add_feed(server.url("/pushed"))
    worker = make_worker(schedule=ScheduleConfig(push_interval=7200))
    await worker.poll_feed(feed.id)
    polled = await store.feeds.get_feed(feed.id)
    assert polled is not None and not polled.push_active and "push" not in (polled.poll_reason or "")

    assert await store.feeds.set_push_active(feed.id, True)
    await worker.poll_feed(feed.id)
    pushed = await store.feeds.get_feed(feed.id)
    assert pushed is not None and "push (WebSub) is active" in (pushed.poll_reason or "")
    assert 7100 < seconds_until(pushed.next_poll_at) <= 7200
    requests = len(server.requests_for("/pushed"))
    assert (await worker.poll_feed(feed.id, force=False)).outcome == "skipped"  # not due
    assert (await worker.poll_feed(feed.id)).outcome != "skipped"  # /admin feed check forces it
    assert len(server.requests_for("/pushed")) == requests + 1

    assert await store.feeds.set_push_active(feed.id, False)  # push went unhealthy: poll at once
    lapsed = await store.feeds.get_feed(feed.id)
    assert lapsed is not None and lapsed.next_poll_at is None and not lapsed.push_active
    assert [f.id for f in await store.feeds.due_feeds(utcnow())] == [feed.id]


async def test_a_feed_that_moves_is_polled_at_its_new_address_at_once(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker]
) -> None:
    moved = f"<itunes:new-feed-url>{server.url('/new')}</itunes:new-feed-url>"
    server.set_feed("/old", rss(weekday_episodes(8), channel_extra=moved))
    server.set_feed("/new", rss(weekday_episodes(8)))
    feed = await store.feeds.add_feed(server.url("/old"))
    await make_worker().poll_feed(feed.id)
    state = await store.feeds.get_feed(feed.id)
    assert state is not None and state.url == server.url("/new")
    assert seconds_until(state.next_poll_at) <= 0 and "moved" in (state.poll_reason or "")


async def test_a_declared_schedule_stands_in_for_a_history_the_feed_does_not_have_yet(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker]
) -> None:
    declares = (
        '<podcast:updateFrequency rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR" '
        'dtstart="2024-01-01T06:00:00-05:00">Weekdays</podcast:updateFrequency>'
    )
    server.set_feed("/declared", rss(weekday_episodes(1)[:2], channel_extra=declares))
    feed = await store.feeds.add_feed(server.url("/declared"))
    await make_worker().poll_feed(feed.id)
    state = await store.feeds.get_feed(feed.id)
    assert state is not None and state.declared_rrule is not None
    assert state.declared_interval == 86400 * 7 / 5
    assert "publishing windows (Mon–Fri around " in (state.poll_reason or "")  # not "too little history"
