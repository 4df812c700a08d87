"""Push end to end: hub double → the bot's callback → the guarded fetch → the announcement in Discord."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

import pytest

from bot.metrics import METRICS
from bot.store import Store
from bot.timeutil import utcnow
from tests.announce.conftest import World
from tests.announce.flows import bot_messages, configure, episode
from tests.doubles.feed_server import FeedServer
from tests.doubles.websub_hub import WebSubHub
from tests.feeds.builders import rss
from tests.harness import eventually
from tests.ops.conftest import OpsRunner
from tests.websub.helpers import start_pushed, subscription


def _count(result: str) -> float:
    return METRICS.websub_notifications.labels(result=result)._value.get()


async def test_publish_reaches_discord_within_seconds_and_a_forgery_changes_nothing(
    runner: OpsRunner,
    world: World,
    store: Store,
    feed_server: FeedServer,
    hub: WebSubHub,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")  # the bot's own lines, at every level
    caplog.set_level(logging.DEBUG, logger="cogs")
    pushed = await start_pushed(runner, world, store, feed_server, hub)
    await pushed.service.reconcile()
    sub = await hub.wait_subscribed(pushed.topic)
    (request,) = hub.requests_for("subscribe")
    assert request["hub.topic"] == pushed.topic
    assert request["hub.callback"].startswith(f"http://127.0.0.1:{pushed.bot.ops.port}/websub/")
    assert len(request["hub.callback"].rsplit("/", 1)[1]) >= 32  # a random token, not the feed's id
    assert sub.secret and len(sub.secret) >= 32
    stored = await subscription(store, pushed.feed)
    assert stored.state == "active" and stored.lease_expires_at is not None
    assert await pushed.service.push_active(pushed.feed.id)

    body = pushed.publish_body([episode(2, "Pushed episode"), episode(1)])
    started = time.monotonic()
    assert await hub.publish(pushed.topic, body) == [202]
    message = await world.double.wait_for_message(
        world.episodes.id, lambda m: bool(m.embeds) and m.embeds[0]["title"] == "Pushed episode", timeout=5
    )
    assert time.monotonic() - started < 5.0
    assert message.allowed_mentions is not None
    assert (await subscription(store, pushed.feed)).last_notification_at is not None

    # A forged notification: acknowledged (no oracle for the signature), then ignored entirely.
    fetches = len(feed_server.requests_for("/podcast.xml"))
    items = len(await store.feeds.latest_items(pushed.feed.id, 10))
    forged_before = _count("bad_signature")
    forged = pushed.publish_body([episode(3, "Forged episode"), episode(2, "Pushed episode"), episode(1)])
    assert await hub.forge(sub.callback, forged) == 202
    await asyncio.sleep(0.5)  # time for a wrongly accepted notification to be fetched and announced
    assert _count("bad_signature") == forged_before + 1
    assert len(feed_server.requests_for("/podcast.xml")) == fetches
    assert len(await store.feeds.latest_items(pushed.feed.id, 10)) == items
    assert [m.embeds[0]["title"] for m in bot_messages(world, world.episodes)] == ["Pushed episode"]
    assert "WebSub" in caplog.text  # the flow was logged, and neither the secret nor the callback token
    assert stored.secret not in caplog.text and stored.callback_token not in caplog.text


async def test_a_stale_copy_right_after_the_notification_is_fetched_again(
    runner: OpsRunner, world: World, store: Store, feed_server: FeedServer, hub: WebSubHub
) -> None:
    pushed = await start_pushed(runner, world, store, feed_server, hub)
    pushed.service.recheck_delays = (0.3, 0.6, 1.2)
    await pushed.service.reconcile()
    await hub.wait_subscribed(pushed.topic)
    fetches = len(feed_server.requests_for("/podcast.xml"))
    fresh = rss([episode(2, "Behind a cache"), episode(1)], title="The AI Daily Brief",
                channel_extra=hub.links(pushed.topic))  # fmt: skip

    assert await hub.publish(pushed.topic, fresh) == [202]  # the host's cache still serves the old copy
    await eventually(lambda: _fetched_more(feed_server, fetches), what="the fetch the notification causes")
    feed_server.set_feed("/podcast.xml", fresh)  # the cache catches up
    await world.double.wait_for_message(
        world.episodes.id, lambda m: bool(m.embeds) and m.embeds[0]["title"] == "Behind a cache", timeout=5
    )


async def _fetched_more(server: FeedServer, count: int) -> bool:
    return len(server.requests_for("/podcast.xml")) > count


async def test_lease_renewed_after_expiry_and_unsubscribed_when_unfollowed(
    runner: OpsRunner, world: World, store: Store, feed_server: FeedServer, hub: WebSubHub
) -> None:
    pushed = await start_pushed(runner, world, store, feed_server, hub)
    hub.lease_grant = 3600
    await pushed.service.reconcile()
    await hub.wait_subscribed(pushed.topic)
    first = await subscription(store, pushed.feed)
    assert first.lease_seconds == 3600 and first.lease_expires_at is not None
    record = await world.double.invoke(world.guild, world.mod, "admin status")
    await record.wait_final(lambda m: bool(m.embeds))
    feeds = {f["name"]: f["value"] for f in record.embeds[0]["fields"]}["Feeds"]
    assert f"push (WebSub) until <t:{int(first.lease_expires_at.timestamp())}:R>" in feeds

    # The bot was away past the lease: on its clock, the lease ran out and push no longer counts.
    later = first.lease_expires_at + timedelta(minutes=30)
    pushed.service.clock = lambda: later
    assert not await store.websub.push_active(pushed.feed.id, later, timedelta(hours=1))
    await pushed.service.reconcile()
    await hub.wait_verified(2)
    assert len(hub.requests_for("subscribe")) == 2
    renewed = await subscription(store, pushed.feed)
    assert renewed.state == "active"
    assert renewed.lease_expires_at is not None and renewed.lease_expires_at > later
    assert await pushed.service.push_active(pushed.feed.id)
    assert renewed.callback_token == first.callback_token and renewed.secret == first.secret

    # Well inside the lease nothing is sent again.
    pushed.service.clock = utcnow
    await pushed.service.reconcile()
    assert len(hub.requests_for("subscribe")) == 2

    # The only server stops following the feed: the bot unsubscribes and the hub confirms.
    await store.announcements.unsubscribe(world.guild.id, pushed.feed.id)
    await pushed.service.reconcile()
    (request,) = hub.requests_for("unsubscribe")
    assert request["hub.topic"] == pushed.topic
    await eventually(lambda: _state_is(store, pushed.feed.id, "inactive"), what="the unsubscription verified")
    assert hub.subscriptions == {}
    assert not await pushed.service.push_active(pushed.feed.id)


async def test_a_hub_that_verifies_before_answering_is_understood(
    runner: OpsRunner, world: World, store: Store, feed_server: FeedServer, hub: WebSubHub
) -> None:
    pushed = await start_pushed(runner, world, store, feed_server, hub)
    hub.verify_first = True
    await pushed.service.reconcile()
    (verification,) = hub.verifications
    assert verification.echoed
    assert (await subscription(store, pushed.feed)).state == "active"


async def test_hub_failure_backs_off_and_feed_without_followers_is_not_subscribed(
    runner: OpsRunner, world: World, store: Store, feed_server: FeedServer, hub: WebSubHub
) -> None:
    pushed = await start_pushed(runner, world, store, feed_server, hub, follow=False)
    await pushed.service.reconcile()
    assert hub.requests == []  # nobody follows the feed: no subscription

    await configure(runner, world, world.episodes)
    hub.fail_next(503)
    await pushed.service.reconcile()
    failed = await subscription(store, pushed.feed)
    assert failed.state == "new" and failed.failures == 1
    assert failed.last_error == "the hub answered HTTP 503"
    assert failed.next_attempt_at is not None and failed.next_attempt_at > utcnow()
    await pushed.service.reconcile()  # backing off: not asked again yet
    assert len(hub.requests) == 1

    pushed.service.clock = lambda: failed.next_attempt_at + timedelta(seconds=1)  # type: ignore[operator]
    await pushed.service.reconcile()
    await hub.wait_subscribed(pushed.topic)
    assert (await subscription(store, pushed.feed)).last_error is None


async def _state_is(store: Store, feed_id: int, state: str) -> bool:
    sub = await store.websub.get(feed_id)
    return sub is not None and sub.state == state
