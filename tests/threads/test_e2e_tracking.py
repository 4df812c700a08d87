"""Thread tracking end to end: the real bot, driven through the Discord protocol double."""

from __future__ import annotations

import discord

from bot.errors import NO_MENTIONS
from bot.store import Store
from tests.doubles.discord import Channel
from tests.harness import eventually
from tests.threads.conftest import ThreadsRunner, World

FAST_FLUSH = {"tracker_flush_interval": 0.05}


async def announce_episode(
    runner: ThreadsRunner, channel: Channel, title: str, item_id: int
) -> discord.Thread:
    """What the announcements capability does: post, open a thread on the post, hand it to the tracker."""
    assert runner.bot is not None
    target = runner.bot.get_channel(channel.id)
    assert isinstance(target, discord.TextChannel)
    message = await target.send(f"New episode: {title}", allowed_mentions=NO_MENTIONS)
    thread = await message.create_thread(name=title)
    await runner.cog.tracker.track_thread(
        thread.id,
        thread.guild.id,
        thread.parent_id,
        item_id=item_id,
        name=thread.name,
        created_at=thread.created_at or discord.utils.snowflake_time(thread.id),
    )
    return thread


async def counted(store: Store, thread_id: int, messages: int) -> bool:
    row = await store.threads.get(thread_id)
    return row is not None and row.message_count == messages


async def test_episode_thread_is_tracked_and_members_are_counted(
    runner: ThreadsRunner, world: World, store: Store
) -> None:
    double, guild = world.double, world.guild
    await runner.start(**FAST_FLUSH)
    thread = await announce_episode(runner, world.episodes, "Ep 812: open weights win?", item_id=812)
    ada, bo, cy = world.members
    for member in (ada, bo, ada, cy):
        await double.post_message(thread.id, member, "hot take")
    await thread.send("a bot reply is not a member's message", allowed_mentions=NO_MENTIONS)

    await eventually(lambda: counted(store, thread.id, 4), what="4 counted messages")
    row = await store.threads.thread_for_item(guild.id, 812)
    assert row is not None and row.thread_id == thread.id
    assert (row.participant_count, row.source, row.item_id) == (3, "episode", 812)
    assert row.first_activity_at is not None and row.last_activity_at is not None

    record = await (await double.invoke(guild, bo, "threads")).wait_response()
    assert record.ephemeral
    text = record.embeds[0]["description"]
    assert f"https://discord.com/channels/{guild.id}/{thread.id}" in text
    assert "4 messages" in text and "3 people" in text and "<t:" in text

    choices = await double.autocomplete(guild, bo, "threads", {"episode": "open"}, focused="episode")
    assert [choice["value"] for choice in choices] == ["812"]
    record = await (
        await double.invoke(guild, bo, "threads", {"episode": "812", "public": True})
    ).wait_response()
    assert not record.ephemeral
    assert "Ep 812" in record.embeds[0]["title"]
    assert f"/{thread.id})" in record.embeds[0]["description"]


async def test_threads_never_lists_other_guilds_or_hidden_channels(
    runner: ThreadsRunner, world: World, store: Store
) -> None:
    double, guild = world.double, world.guild
    other = double.add_guild("Another server")
    other_channel = double.add_text_channel(other, "episodes")
    outsider = double.add_member(other, "outsider")
    await runner.start(**FAST_FLUSH)
    mine = await announce_episode(runner, world.episodes, "Ours", item_id=1)
    theirs = await announce_episode(runner, other_channel, "Theirs", item_id=1)
    hidden = await announce_episode(runner, world.staff, "Staff only", item_id=2)
    await double.post_message(mine.id, world.members[0], "x")
    await double.post_message(theirs.id, outsider, "x")
    owner = guild.members[guild.owner_id]  # the owner sees #staff
    await double.post_message(hidden.id, owner, "x")
    await eventually(lambda: counted(store, theirs.id, 1), what="the other guild's message")
    await eventually(lambda: counted(store, mine.id, 1), what="our message")
    await eventually(lambda: counted(store, hidden.id, 1), what="the staff message")

    for view in ("hot", "recent"):
        record = await (
            await double.invoke(guild, world.members[0], "threads", {"view": view})
        ).wait_response()
        text = record.embeds[0]["description"]
        assert f"/{mine.id})" in text, view
        assert f"/{theirs.id})" not in text and f"/{hidden.id})" not in text, view
    record = await (await double.invoke(other, outsider, "threads", {"view": "recent"})).wait_response()
    assert f"/{theirs.id})" in record.embeds[0]["description"]
    assert f"/{mine.id})" not in record.embeds[0]["description"]


async def test_a_tracked_forums_new_posts_are_tracked(
    runner: ThreadsRunner, world: World, store: Store
) -> None:
    double, guild = world.double, world.guild
    await runner.start(**FAST_FLUSH)
    record = await (
        await double.invoke(guild, world.mod, "admin threads track", {"channel": world.forum.id})
    ).wait_response()
    assert "Tracking" in record.content and record.ephemeral

    post, _ = await double.create_forum_post(world.forum, world.members[0], "Is Llama open?", ["open-source"])
    await double.post_message(post.id, world.members[1], "define open")
    await eventually(lambda: counted(store, post.id, 2), what="the forum post and its reply")
    row = await store.threads.get(post.id)
    assert row is not None
    assert (row.source, row.tags, row.participant_count, row.parent_id) == (
        "channel",
        ("open-source",),
        2,
        world.forum.id,
    )

    # a thread in a channel nobody tracks is not counted
    message = await double.post_message(world.general.id, world.members[0], "start")
    assert runner.bot is not None
    general = runner.bot.get_channel(world.general.id)
    assert isinstance(general, discord.TextChannel)
    side = await general.get_partial_message(message.id).create_thread(name="side chat")
    await double.post_message(side.id, world.members[1], "hi")
    await eventually(lambda: counted(store, post.id, 2))
    assert await store.threads.get(side.id) is None

    refused = await (
        await double.invoke(
            guild, world.members[0], "admin threads untrack", {"channel": world.forum.id},
            bypass_default_permissions=True,
        )
    ).wait_response()  # fmt: skip
    assert "Manage Server" in refused.content
    assert runner.cog.tracker.parent_tracked(guild.id, world.forum.id)


async def test_moderators_track_and_untrack_a_single_thread(
    runner: ThreadsRunner, world: World, store: Store
) -> None:
    double, guild = world.double, world.guild
    await runner.start(**FAST_FLUSH)
    assert runner.bot is not None
    general = runner.bot.get_channel(world.general.id)
    assert isinstance(general, discord.TextChannel)
    starter = await double.post_message(world.general.id, world.members[0], "anyone tried the new model?")
    side = await general.get_partial_message(starter.id).create_thread(name="New model impressions")

    record = await (
        await double.invoke(guild, world.mod, "admin threads track", {"channel": side.id})
    ).wait_response()
    assert "Tracking" in record.content
    await double.post_message(side.id, world.members[1], "yes")
    await eventually(lambda: counted(store, side.id, 1), what="the message in the manually tracked thread")
    row = await store.threads.get(side.id)
    assert row is not None and row.source == "manual"

    record = await (
        await double.invoke(guild, world.mod, "admin threads untrack", {"channel": side.id})
    ).wait_response()
    assert "Stopped tracking" in record.content
    assert await store.threads.get(side.id) is None
    assert not runner.cog.tracker.is_tracked(side.id)


async def test_a_thread_of_a_tracked_forum_is_untracked_with_its_forum(
    runner: ThreadsRunner, world: World, store: Store
) -> None:
    double, guild = world.double, world.guild
    await runner.start(**FAST_FLUSH)
    await (
        await double.invoke(guild, world.mod, "admin threads track", {"channel": world.forum.id})
    ).wait_response()
    post, _ = await double.create_forum_post(world.forum, world.members[0], "Benchmarks are broken")
    await eventually(lambda: counted(store, post.id, 1), what="the forum post")

    record = await (
        await double.invoke(guild, world.mod, "admin threads untrack", {"channel": post.id})
    ).wait_response()
    assert "Untrack the channel instead" in record.content
    assert await store.threads.get(post.id) is not None

    record = await (
        await double.invoke(guild, world.mod, "admin threads untrack", {"channel": world.forum.id})
    ).wait_response()
    assert "and 1 of its threads" in record.content
    episode = await announce_episode(runner, world.episodes, "Ep 1", item_id=1)
    await double.post_message(post.id, world.members[1], "still here")
    await double.post_message(episode.id, world.members[1], "events are handled in order")
    await eventually(lambda: counted(store, episode.id, 1), what="the later message in a tracked thread")
    assert await store.threads.get(post.id) is None
