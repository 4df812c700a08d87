"""The feed poller's writes are fenced by its lease: a poll that outlived the lease, once another process
took it over, commits nothing (the new leader polls that feed); the current leader's polls commit."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import pytest

from bot.feeds.leader import FeedLeader
from bot.feeds.worker import FeedWorker
from bot.store import Store
from bot.timeutil import utcnow
from tests.doubles.feed_server import FeedServer
from tests.feeds.builders import Item, rss
from tests.feeds.conftest import Recorder
from tests.harness import SettableClock as Clock
from tests.postgres import postgres_server, store_on_both_engines  # noqa: F401  (store on both engines)

LEASE = timedelta(seconds=30)


def episodes(*numbers: int) -> list[Item]:
    return [
        Item(guid=f"guid-{n}", title=f"Episode {n}", link=f"https://example.com/{n}", published=utcnow())
        for n in numbers
    ]


async def test_a_deposed_leaders_poll_result_is_not_committed(
    store: Store,
    server: FeedServer,
    make_worker: Callable[..., FeedWorker],
    recorder: Recorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.set_feed("/f", rss(episodes(1, 2)))
    feed = await store.feeds.add_feed(server.url("/f"))
    clock = Clock()
    old = FeedLeader(store.leases, duration=LEASE, holder="host-a:1:aa", clock=clock)
    new = FeedLeader(store.leases, duration=LEASE, holder="host-b:2:bb", clock=clock)
    assert await old.hold()
    stalled = old.lease  # the cycle starts under this lease...
    assert stalled is not None
    clock.now += LEASE + timedelta(seconds=5)  # ...and stalls past it; the other process takes over
    assert await new.hold()
    assert new.lease is not None and new.lease.term == stalled.term + 1
    worker = make_worker()

    with caplog.at_level(logging.INFO, logger="bot.feeds.worker"):
        results = await worker.poll_due(stalled)

    assert [r.outcome for r in results] == ["skipped"]
    assert await store.feeds.latest_items(feed.id, 10) == []  # nothing of the stale poll was written
    unchanged = await store.feeds.get_feed(feed.id)
    assert unchanged is not None and not unchanged.first_fetch_done and unchanged.etag is None
    dropped = [r.getMessage() for r in caplog.records if "result dropped" in r.getMessage()]
    assert len(dropped) == 1 and "term 1" in dropped[0] and "host-a:1:aa" in dropped[0]

    # The new leader polls the feed and its result commits.
    results = await new.run_fenced(worker.poll_due) or []
    assert [r.outcome for r in results] == ["updated"]
    assert len(await store.feeds.latest_items(feed.id, 10)) == 2


async def test_the_leaders_polls_commit_and_new_items_are_announced(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker], recorder: Recorder
) -> None:
    server.set_feed("/f", rss(episodes(1)))
    await store.feeds.add_feed(server.url("/f"))
    leader = FeedLeader(store.leases, duration=LEASE, holder="host-a:1:aa")
    worker = make_worker()
    assert [r.outcome for r in await leader.run_fenced(worker.poll_due) or []] == ["updated"]

    server.set_feed("/f", rss(episodes(2, 1)))
    (feed,) = await store.feeds.list_feeds()
    await store.feeds.update_feed(feed.id, next_poll_at=None)  # due again now
    results = await leader.run_fenced(worker.poll_due) or []

    assert [r.outcome for r in results] == ["updated"]
    assert recorder.new_titles == ["Episode 2"]
    assert leader.lease is not None and leader.lease.term == 1  # renewed, not re-taken: same term


async def test_a_deposed_leaders_failed_poll_neither_counts_nor_alerts(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker], recorder: Recorder
) -> None:
    server.set_status("/f", 500)
    feed = await store.feeds.add_feed(server.url("/f"))
    clock = Clock()
    old = FeedLeader(store.leases, duration=LEASE, holder="host-a:1:aa", clock=clock)
    new = FeedLeader(store.leases, duration=LEASE, holder="host-b:2:bb", clock=clock)
    assert await old.hold()
    stalled = old.lease
    clock.now += LEASE + timedelta(seconds=5)
    assert await new.hold()
    worker = make_worker(failing_after=1)

    assert [r.outcome for r in await worker.poll_due(stalled)] == ["skipped"]
    unchanged = await store.feeds.get_feed(feed.id)
    assert unchanged is not None and unchanged.consecutive_failures == 0 and unchanged.status != "failing"
    assert recorder.failing == []  # moderators hear of it once, from the leader

    assert [r.outcome for r in await new.run_fenced(worker.poll_due) or []] == ["failed"]
    assert len(recorder.failing) == 1
