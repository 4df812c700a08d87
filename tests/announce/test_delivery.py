"""How each Discord failure moves a delivery: bounded backoff for 5xx, pause and one alert for 403/404."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest.mock import create_autospec

import aiohttp
import discord

from bot.announce.alerts import Alerts
from bot.announce.delivery import Announcer, Outcome
from bot.announce.models import ChannelKind, DeliveryState
from bot.announce.outbox import Outbox
from bot.store import Store
from tests.announce.helpers import add_item, podcast

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
GUILD = 4242


def http_error(cls: type[discord.HTTPException], status: int, reason: str) -> discord.HTTPException:
    response = create_autospec(aiohttp.ClientResponse, instance=True)
    response.status = status
    response.reason = reason
    return cls(response, {"message": reason, "code": 50013 if status == 403 else 0})


async def setup(store: Store, *, max_attempts: int = 3) -> tuple[Announcer, Alerts, int]:
    feed = await podcast(store)
    await store.announcements.subscribe(GUILD, feed.id, 77, ChannelKind.TEXT)
    await add_item(store, feed, "ep-1", "Episode")
    await Outbox(store).dispatch_pending()
    alerts = create_autospec(Alerts, instance=True)
    client = create_autospec(discord.Client, instance=True)
    announcer = Announcer(
        client, store, store.feeds, alerts, retry_base=10, max_attempts=max_attempts, clock=lambda: NOW
    )
    (delivery,) = await store.announcements.due_sends(NOW + timedelta(days=1))
    return announcer, alerts, delivery.id


async def test_server_errors_back_off_and_give_up_with_one_alert(store: Store) -> None:
    announcer, alerts, delivery_id = await setup(store)
    error = http_error(discord.DiscordServerError, 503, "Service Unavailable")
    outcomes, retries = [], []
    for _ in range(3):
        await store.announcements.begin_attempt(delivery_id)  # as `deliver` does before asking Discord
        delivery = await store.announcements.get_delivery(delivery_id)
        assert delivery is not None
        sub = await store.announcements.get_subscription(GUILD, delivery.feed_id)
        feed = await store.feeds.get_feed(delivery.feed_id)
        assert sub is not None and feed is not None
        outcomes.append(await announcer._failed(delivery, sub, feed, error))
        after = await store.announcements.get_delivery(delivery_id)
        assert after is not None
        retries.append(after.next_attempt_at)

    assert outcomes == [Outcome.RETRY, Outcome.RETRY, Outcome.FAILED]
    waits = [(retry - NOW).total_seconds() for retry in retries[:2] if retry is not None]
    assert 5 <= waits[0] <= 10 and 10 <= waits[1] <= 20  # doubling backoff, less up to half as jitter
    final = await store.announcements.get_delivery(delivery_id)
    assert final is not None and final.state is DeliveryState.FAILED and final.last_error
    assert "503" in final.last_error
    alerts.notify.assert_awaited_once()
    assert "after 3 attempt(s)" in alerts.notify.await_args.args[1]


async def test_403_pauses_once_and_never_counts_towards_giving_up(store: Store) -> None:
    announcer, alerts, delivery_id = await setup(store, max_attempts=1)
    error = http_error(discord.Forbidden, 403, "Missing Permissions")
    for _ in range(2):
        await store.announcements.begin_attempt(delivery_id)
        delivery = await store.announcements.get_delivery(delivery_id)
        assert delivery is not None
        sub = await store.announcements.get_subscription(GUILD, delivery.feed_id)
        feed = await store.feeds.get_feed(delivery.feed_id)
        assert sub is not None and feed is not None
        assert await announcer._failed(delivery, sub, feed, error) is Outcome.PAUSED

    delivery = await store.announcements.get_delivery(delivery_id)
    assert delivery is not None and delivery.state is DeliveryState.PENDING and not delivery.in_doubt
    sub = await store.announcements.get_subscription(GUILD, delivery.feed_id)
    assert sub is not None and sub.paused and sub.paused_by == "auto" and "403" in (sub.pause_reason or "")
    alerts.notify.assert_awaited_once()
    text = alerts.notify.await_args.args[1]
    assert "<#77>" in text and "/admin feed resume feed:podcast" in text
