"""Recovery of sends in doubt beyond Discord's nonce window: the bot finds its own message or forum post."""

from __future__ import annotations

import json

from bot.announce.models import ChannelKind, DeliveryState
from bot.store import Store
from tests.announce.conftest import AnnounceRunner, World
from tests.announce.flows import bot_messages, configure, delivery_state
from tests.announce.helpers import add_item, podcast
from tests.harness import eventually


async def _send_then_forget(runner: AnnounceRunner, store: Store, guild_id: int, key: str, title: str) -> int:
    """An attempt that reached Discord but was never recorded (the process died), as the outbox sees it."""
    assert runner.bot is not None
    feed = await podcast(store, runner.bot.settings.podcast_feed_url)
    await store.announcements.pause(guild_id, feed.id, "held by the test", by="moderator")
    item = await add_item(store, feed, key, title)
    await runner.cog.outbox.dispatch_pending()
    delivery = await store.announcements.delivery_for(guild_id, item.id)
    sub = await store.announcements.get_subscription(guild_id, feed.id)
    assert delivery is not None and sub is not None
    await store.announcements.begin_attempt(delivery.id)
    await store.announcements.mark_sending(delivery.id)
    channel = runner.bot.get_channel(delivery.channel_id)
    await runner.cog.announcer._post(channel, delivery, sub, item, feed)  # what the dead process did
    await store.announcements.resume(guild_id, feed.id)
    return item.id


async def test_text_announcement_in_doubt_is_found_in_history(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double = world.double
    await runner.start()
    await configure(runner, world, world.episodes)
    item_id = await _send_then_forget(runner, store, world.guild.id, "ep-1", "Sent before the crash")
    double.world._nonces.clear()  # long after: Discord no longer remembers the nonce

    runner.cog.wake()
    await eventually(lambda: delivery_state(store, world.guild.id, item_id, DeliveryState.DONE), what="done")
    messages = bot_messages(world, world.episodes)
    assert [m.embeds[0]["title"] for m in messages] == ["Sent before the crash"]
    delivery = await store.announcements.delivery_for(world.guild.id, item_id)
    assert delivery is not None and delivery.message_id == messages[0].id


async def test_forum_post_in_doubt_is_found_not_repeated(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double = world.double
    await runner.start()
    await configure(runner, world, world.forum)
    item_id = await _send_then_forget(runner, store, world.guild.id, "ep-2", "Posted before the crash")

    runner.cog.wake()
    await eventually(lambda: delivery_state(store, world.guild.id, item_id, DeliveryState.DONE), what="done")
    posts = [t for t in double.threads if t.parent_id == world.forum.id]
    assert [p.name for p in posts] == ["Posted before the crash"]
    delivery = await store.announcements.delivery_for(world.guild.id, item_id)
    assert delivery is not None and delivery.thread_id == posts[0].id
    sub = await store.announcements.get_subscription(world.guild.id, delivery.feed_id)
    assert sub is not None and sub.channel_kind is ChannelKind.FORUM


async def test_about_lists_only_the_feeds_this_server_follows(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double = world.double
    other = double.add_guild("Another server")
    double.add_text_channel(other, "general")
    stranger = double.add_member(other, "stranger")
    await runner.start()
    await configure(runner, world, world.episodes)
    assert runner.bot is not None
    await store.feeds.update_feed(
        (await podcast(store, runner.bot.settings.podcast_feed_url)).id, title="Podcast feed title"
    )

    mine = await (await double.invoke(world.guild, world.members[0], "about")).wait_response()
    theirs = await (await double.invoke(other, stranger, "about")).wait_response()
    assert "Podcast feed title" in json.dumps(mine.embeds)
    assert "Podcast feed title" not in json.dumps(theirs.embeds)
    assert "No feeds followed here yet." in json.dumps(theirs.embeds)


async def test_a_thread_opened_before_a_crash_is_reused(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double = world.double
    await runner.start()
    await configure(runner, world, world.episodes)
    assert runner.bot is not None
    feed = await podcast(store, runner.bot.settings.podcast_feed_url)
    await store.announcements.pause(world.guild.id, feed.id, "held by the test", by="moderator")
    item = await add_item(store, feed, "ep-3", "Thread made, never recorded")
    await runner.cog.outbox.dispatch_pending()
    delivery = await store.announcements.delivery_for(world.guild.id, item.id)
    sub = await store.announcements.get_subscription(world.guild.id, feed.id)
    assert delivery is not None and sub is not None
    channel = runner.bot.get_channel(world.episodes.id)
    posted = await runner.cog.announcer._post(channel, delivery, sub, item, feed)
    await store.announcements.record_sent(delivery.id, posted.message_id, item.revision, thread_id=None)
    await channel.get_partial_message(posted.message_id).create_thread(name="Thread made, never recorded")

    await store.announcements.resume(world.guild.id, feed.id)
    runner.cog._followup_wake.set()
    await eventually(lambda: delivery_state(store, world.guild.id, item.id, DeliveryState.DONE), what="done")

    threads = [t for t in double.threads if t.parent_id == world.episodes.id]
    assert [t.id for t in threads] == [posted.message_id]
    done = await store.announcements.delivery_for(world.guild.id, item.id)
    assert done is not None and done.thread_id == posted.message_id
    refused = double.requests_to(f"POST /channels/{world.episodes.id}/messages/{posted.message_id}/threads")
    assert len(refused) == 2 and refused[1].status == 400  # Discord said it exists; the bot took it
