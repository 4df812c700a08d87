"""Moderator configuration end to end: list, settings (threads, cap, forum tag), backfill, pause, remove."""

from __future__ import annotations

from bot.announce.models import DeliveryState
from bot.store import Store
from tests.announce.conftest import AnnounceRunner, World
from tests.announce.flows import bot_messages, configure, delivery_state, new_episode
from tests.announce.helpers import add_item, podcast
from tests.harness import eventually


async def test_settings_list_backfill_pause_and_remove(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double, guild, mod = world.double, world.guild, world.mod
    bot = await runner.start()
    feed = await podcast(store, bot.settings.podcast_feed_url)
    old = [
        await add_item(
            store, feed, f"old-{n}", f"Back catalogue {n}", status="skipped", skip_reason="first_run"
        )
        for n in range(3)
    ]
    await configure(runner, world, world.episodes)

    async def admin(command: str, **options: object) -> str:
        record = await (
            await double.invoke(guild, mod, f"admin feed {command}", dict(options))
        ).wait_response()
        assert record.ephemeral
        return record.content

    text = await admin("settings", feed="podcast", threads=False, cap=1)
    assert "threads off" in text and "cap 1/day" in text
    text = await admin("list")
    assert world.episodes.mention in text and "threads off" in text and "cap 1/day" in text

    text = await admin("backfill", feed="podcast", count=2)
    assert "Back catalogue 1" in text and "Back catalogue 2" in text and "Back catalogue 0" not in text
    await eventually(
        lambda: delivery_state(store, guild.id, old[2].id, DeliveryState.DONE), what="backfilled"
    )
    backfilled = bot_messages(world, world.episodes)
    assert [m.embeds[0]["title"] for m in backfilled] == ["Back catalogue 1", "Back catalogue 2"]
    assert all(m.content == "" for m in backfilled)  # backfills ping nobody
    assert not [t for t in double.threads if t.parent_id == world.episodes.id]  # threads are off
    assert await admin("backfill", feed="podcast", count=2) == (
        "Nothing to backfill: the newest items were already announced here."
    )

    _, first = await new_episode(runner, store, "ep-1", "First of the day")
    _, second = await new_episode(runner, store, "ep-2", "Second of the day")
    await eventually(lambda: delivery_state(store, guild.id, first.id, DeliveryState.DONE), what="first")
    assert await delivery_state(store, guild.id, second.id, DeliveryState.CAPPED)  # backfills don't count

    assert "cap 10/day" in await admin("settings", feed="podcast", cap=10)
    assert "paused here" in await admin("pause", feed="podcast")
    _, third = await new_episode(runner, store, "ep-3", "Waits while paused")
    cycles = runner.cog.cycles
    runner.cog.wake()
    await eventually(lambda: _cycled(runner, cycles), what="a delivery cycle")
    assert await delivery_state(store, guild.id, third.id, DeliveryState.PENDING)

    assert "no longer follows" in await admin("remove", feed="podcast")
    assert await delivery_state(store, guild.id, third.id, DeliveryState.CANCELLED)
    assert "follows no feed" in await admin("list")
    assert len(bot_messages(world, world.episodes)) == 3


async def _cycled(runner: AnnounceRunner, cycles: int) -> bool:
    return bool(runner.cog.cycles > cycles)


async def test_forum_tag_setting_is_checked_against_the_forum(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double, guild, mod = world.double, world.guild, world.mod
    await runner.start()
    await configure(runner, world, world.forum)

    record = await (
        await double.invoke(guild, mod, "admin feed settings", {"feed": "podcast", "tag": "Nope"})
    ).wait_response()
    assert "has no tag named 'Nope'" in record.content and "Podcast" in record.content

    await (
        await double.invoke(guild, mod, "admin feed settings", {"feed": "podcast", "tag": "Other"})
    ).wait_response()
    _, item = await new_episode(runner, store, "ep-9", "Tagged as configured")
    await eventually(lambda: delivery_state(store, guild.id, item.id, DeliveryState.DONE), what="posted")
    post = next(t for t in double.threads if t.parent_id == world.forum.id)
    assert post.applied_tags == [world.forum.tag_named("Other").id]


async def test_leaving_a_server_holds_its_announcements(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double, guild = world.double, world.guild
    bot = await runner.start()
    await configure(runner, world, world.episodes)
    feed = await podcast(store, bot.settings.podcast_feed_url)

    double.dispatch("GUILD_DELETE", {"id": str(guild.id)}, guild_id=guild.id)  # the bot was removed

    async def held() -> bool:
        sub = await store.announcements.get_subscription(guild.id, feed.id)
        return sub is not None and sub.paused and sub.pause_reason == "the bot left this server"

    await eventually(held, what="the subscription to be held")
    assert bot.get_guild(guild.id) is None
