"""The outbox against a real migrated store: fan-out once, caps, pause/resume, backfill, edits, why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.announce.models import ChannelKind, DeliveryState, announcement_nonce
from bot.announce.outbox import Outbox
from bot.announce.why import explain
from bot.store import Store
from bot.timeutil import utcnow
from tests.announce.helpers import add_item, edit_item, newsletter, podcast
from tests.postgres import postgres_server, store_on_both_engines  # noqa: F401  (store on both engines)

GUILD_A, GUILD_B, GUILD_C = 1001, 1002, 1003


async def test_dispatch_records_one_delivery_per_following_guild_once(store: Store) -> None:
    feed = await podcast(store)
    await store.announcements.subscribe(GUILD_A, feed.id, 11, ChannelKind.TEXT)
    await store.announcements.subscribe(GUILD_B, feed.id, 22, ChannelKind.FORUM)
    item = await add_item(store, feed, "ep-1", "Episode one")
    outbox = Outbox(store)

    assert await outbox.dispatch_pending() == 2
    assert await outbox.dispatch_pending() == 0  # the item is dispatched: nothing repeats
    assert await outbox.dispatch_item(item) == 0  # even a forced repeat adds nothing (UNIQUE guild, item)

    deliveries = await store.announcements.deliveries_of_item(item.id)
    assert [(d.guild_id, d.channel_id, d.state) for d in deliveries] == [
        (GUILD_A, 11, DeliveryState.PENDING),
        (GUILD_B, 22, DeliveryState.PENDING),
    ]
    assert deliveries[0].nonce == announcement_nonce(GUILD_A, item.id)
    assert len(deliveries[0].nonce) <= 25 and deliveries[0].nonce != deliveries[1].nonce
    assert await store.announcements.delivery_for(GUILD_C, item.id) is None
    stored = await store.feeds.get_item(item.id)
    assert stored is not None and stored.dispatched_at is not None


async def test_guilds_only_see_their_own_subscriptions(store: Store) -> None:
    feed = await podcast(store)
    await store.announcements.subscribe(GUILD_A, feed.id, 11, ChannelKind.TEXT)
    assert [s.guild_id for s in await store.announcements.list_subscriptions(GUILD_A)] == [GUILD_A]
    assert await store.announcements.list_subscriptions(GUILD_B) == []
    assert await store.announcements.followed_titles(GUILD_A) == ["The AI Daily Brief"]
    assert await store.announcements.followed_titles(GUILD_B) == []


async def test_daily_cap_holds_back_the_excess(store: Store) -> None:
    feed = await podcast(store)
    await store.announcements.subscribe(GUILD_A, feed.id, 11, ChannelKind.TEXT)
    await store.announcements.update_subscription(GUILD_A, feed.id, daily_cap=2)
    items = [await add_item(store, feed, f"ep-{n}", f"Episode {n}") for n in range(3)]

    await Outbox(store).dispatch_pending()

    states = [(await store.announcements.delivery_for(GUILD_A, i.id)).state for i in items]  # type: ignore[union-attr]
    assert states == [DeliveryState.PENDING, DeliveryState.PENDING, DeliveryState.CAPPED]
    why = await explain(store, GUILD_A, items[2], feed)
    assert not why.announced and "daily cap of 2" in why.headline


async def test_paused_deliveries_wait_and_resume_delivers_them(store: Store) -> None:
    feed = await podcast(store)
    await store.announcements.subscribe(GUILD_A, feed.id, 11, ChannelKind.TEXT)
    item = await add_item(store, feed, "ep-1", "Episode one")
    await Outbox(store).dispatch_pending()

    assert await store.announcements.pause(GUILD_A, feed.id, "missing permissions: 403", by="auto")
    assert not await store.announcements.pause(GUILD_A, feed.id, "again", by="auto")  # alert only once
    assert await store.announcements.due_sends(utcnow()) == []
    why = await explain(store, GUILD_A, item, feed)
    assert "paused" in why.headline and "missing permissions: 403" in why.headline

    assert await store.announcements.resume(GUILD_A, feed.id) == 1
    assert [d.item_id for d in await store.announcements.due_sends(utcnow())] == [item.id]


async def test_unfollowing_cancels_what_was_not_sent(store: Store) -> None:
    feed = await podcast(store)
    await store.announcements.subscribe(GUILD_A, feed.id, 11, ChannelKind.TEXT)
    item = await add_item(store, feed, "ep-1", "Episode one")
    await Outbox(store).dispatch_pending()

    assert await store.announcements.unsubscribe(GUILD_A, feed.id)
    delivery = await store.announcements.delivery_for(GUILD_A, item.id)
    assert delivery is not None and delivery.state is DeliveryState.CANCELLED
    assert not await store.announcements.unsubscribe(GUILD_A, feed.id)


async def test_moving_the_channel_moves_waiting_announcements(store: Store) -> None:
    feed = await podcast(store)
    await store.announcements.subscribe(GUILD_A, feed.id, 11, ChannelKind.TEXT)
    await store.announcements.update_subscription(GUILD_A, feed.id, ping_role_id=77)
    item = await add_item(store, feed, "ep-1", "Episode one")
    await Outbox(store).dispatch_pending()

    sub = await store.announcements.subscribe(GUILD_A, feed.id, 33, ChannelKind.FORUM)

    assert sub.channel_id == 33 and sub.channel_kind is ChannelKind.FORUM and sub.ping_role_id == 77
    delivery = await store.announcements.delivery_for(GUILD_A, item.id)
    assert delivery is not None and delivery.channel_id == 33


async def test_backfill_queues_the_newest_for_one_guild_only(store: Store) -> None:
    feed = await podcast(store)
    old = [
        await add_item(store, feed, f"old-{n}", f"Old {n}", status="skipped", skip_reason="first_run")
        for n in range(4)
    ]
    sub_a = await store.announcements.subscribe(GUILD_A, feed.id, 11, ChannelKind.TEXT)
    await store.announcements.subscribe(GUILD_B, feed.id, 22, ChannelKind.TEXT)
    why = await explain(store, GUILD_A, old[0], feed)
    assert not why.announced and "backfill" in why.text()

    queued = await Outbox(store).backfill(sub_a, 2)
    again = await Outbox(store).backfill(sub_a, 2)

    assert [i.key for i in queued] == ["old-2", "old-3"]  # the newest two, oldest first
    assert again == []
    assert (await store.announcements.delivery_for(GUILD_A, old[3].id)).backfill  # type: ignore[union-attr]
    assert await store.announcements.delivery_for(GUILD_B, old[3].id) is None


async def test_an_edited_item_makes_its_announcement_stale(store: Store) -> None:
    feed = await podcast(store)
    await store.announcements.subscribe(GUILD_A, feed.id, 11, ChannelKind.TEXT)
    item = await add_item(store, feed, "ep-1", "Episode one")
    await Outbox(store).dispatch_pending()
    delivery = await store.announcements.delivery_for(GUILD_A, item.id)
    assert delivery is not None
    await store.announcements.record_sent(delivery.id, 555, item.revision, thread_id=None)
    assert await store.announcements.stale_announcements() == []

    edited = await edit_item(store, item, title="Episode one (corrected)")

    assert edited.revision == item.revision + 1
    assert [d.id for d in await store.announcements.stale_announcements()] == [delivery.id]
    await store.announcements.record_revision(delivery.id, edited.revision)
    assert await store.announcements.stale_announcements() == []
    why = await explain(store, GUILD_A, edited, feed)
    assert why.announced and "/11/555" in why.headline


async def test_the_newsletter_of_the_same_day_is_found(store: Store) -> None:
    letters = await newsletter(store)
    day = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    await add_item(
        store, letters, "issue-1", "Issue", published=day + timedelta(hours=5), link="https://n.ex/1"
    )
    await add_item(
        store, letters, "issue-0", "Older", published=day - timedelta(days=1), link="https://n.ex/0"
    )

    assert await store.announcements.same_day_link("newsletter", day) == "https://n.ex/1"
    assert await store.announcements.same_day_link("newsletter", day + timedelta(days=2)) is None


async def test_next_retry_time_ignores_paused_and_past_retries(store: Store) -> None:
    feed = await podcast(store)
    await store.announcements.subscribe(GUILD_A, feed.id, 11, ChannelKind.TEXT)
    items = [await add_item(store, feed, f"ep-{n}", f"Episode {n}") for n in range(2)]
    await Outbox(store).dispatch_pending()
    now = utcnow()
    first, second = [await store.announcements.delivery_for(GUILD_A, i.id) for i in items]
    assert first is not None and second is not None
    await store.announcements.record_failure(first.id, "503", retry_at=now - timedelta(seconds=5))
    await store.announcements.record_failure(second.id, "503", retry_at=now + timedelta(seconds=30))

    assert await store.announcements.next_due_at(now) == now + timedelta(seconds=30)
    await store.announcements.pause(GUILD_A, feed.id, "held", by="moderator")
    assert await store.announcements.next_due_at(now) is None  # a paused guild never wakes the loop


async def test_a_ping_covers_its_own_guild_and_feed_for_a_while(store: Store) -> None:
    feed, letter = await podcast(store), await newsletter(store)
    for guild in (GUILD_A, GUILD_B):
        await store.announcements.subscribe(guild, feed.id, 11, ChannelKind.TEXT)
    await store.announcements.subscribe(GUILD_A, letter.id, 12, ChannelKind.TEXT)
    item = await add_item(store, feed, "ep-1", "Episode one")
    await Outbox(store).dispatch_pending()
    a, b = [await store.announcements.delivery_for(g, item.id) for g in (GUILD_A, GUILD_B)]
    assert a is not None and b is not None
    before = utcnow() - timedelta(seconds=1)
    await store.announcements.record_sent(a.id, 555, item.revision, thread_id=None, pinged=True)
    await store.announcements.record_sent(b.id, 556, item.revision, thread_id=None, pinged=False)

    assert await store.announcements.pinged_since(GUILD_A, feed.id, before)
    assert not await store.announcements.pinged_since(GUILD_A, feed.id, utcnow() + timedelta(seconds=1))
    assert not await store.announcements.pinged_since(GUILD_B, feed.id, before)  # its message did not ping
    assert not await store.announcements.pinged_since(GUILD_A, letter.id, before)  # another feed's role
