"""Restarts, reconciliation and the weekly post, end to end through the Discord protocol double."""

from __future__ import annotations

from datetime import timedelta

import discord

from bot.polls.models import PollMode
from bot.polls.spec import build_spec
from bot.store import Store
from bot.threads.weekly import next_slot, week_key
from bot.timeutil import utcnow
from tests.harness import eventually
from tests.threads.conftest import ThreadsRunner, World

SLOW_FLUSH = {"tracker_flush_interval": 600}  # only the shutdown flush writes


async def test_a_clean_shutdown_loses_nothing_and_a_restart_reconciles(
    runner: ThreadsRunner, world: World, store: Store
) -> None:
    double, guild, forum = world.double, world.guild, world.forum
    ada, bo, cy = world.members
    await runner.start(**SLOW_FLUSH)
    await (
        await double.invoke(guild, world.mod, "admin threads track", {"channel": forum.id})
    ).wait_response()
    kept, _ = await double.create_forum_post(forum, ada, "Kept")
    archived, _ = await double.create_forum_post(forum, bo, "Archived later")
    deleted, _ = await double.create_forum_post(forum, cy, "Deleted later")
    await double.post_message(kept.id, bo, "reply")
    tracker = runner.cog.tracker

    async def all_seen() -> bool:
        return tracker.stats.events == 4 and await _tracked(store, kept.id, archived.id, deleted.id)

    await eventually(all_seen, what="4 counted messages in 3 tracked posts")
    assert (await store.threads.get(kept.id)).message_count == 0  # type: ignore[union-attr]  # still in memory
    await runner.stop()
    row = await store.threads.get(kept.id)
    assert row is not None and (row.message_count, row.participant_count) == (2, 2)

    # while the bot is away: one post is archived, one deleted, and a new post is opened
    await double.archive_thread(archived)
    await double.delete_thread(deleted)
    double.expect_errors(10003)  # the bot fetches the missing post to learn it was deleted
    while_away, _ = await double.create_forum_post(forum, ada, "Opened while away")

    await runner.start(**SLOW_FLUSH)

    async def reconciled() -> bool:
        states = [await store.threads.get(t.id) for t in (kept, archived, deleted, while_away)]
        return [s.state if s else None for s in states] == ["active", "archived", "deleted", "active"]

    await eventually(reconciled, what="archived/deleted/new posts reconciled after the restart")
    record = await (await double.invoke(guild, ada, "threads", {"view": "recent"})).wait_response()
    text = record.embeds[0]["description"]
    assert f"/{kept.id})" in text and f"/{archived.id})" in text and f"/{while_away.id})" in text
    assert f"/{deleted.id})" not in text
    assert (
        await store.db.fetchval("SELECT count(*) FROM thread_participants WHERE thread_id = ?", (deleted.id,))
        == 0
    )  # a deleted thread's participants are forgotten


async def test_live_archive_lock_and_delete_events_are_applied(
    runner: ThreadsRunner, world: World, store: Store
) -> None:
    double, guild, forum = world.double, world.guild, world.forum
    await runner.start(tracker_flush_interval=0.05)
    await (
        await double.invoke(guild, world.mod, "admin threads track", {"channel": forum.id})
    ).wait_response()
    first, _ = await double.create_forum_post(forum, world.members[0], "First")
    second, _ = await double.create_forum_post(forum, world.members[1], "Second")
    await eventually(lambda: _tracked(store, first.id, second.id), what="both posts tracked")
    await double.archive_thread(first, locked=True)
    await double.delete_thread(second)

    async def applied() -> bool:
        a, b = await store.threads.get(first.id), await store.threads.get(second.id)
        return bool(a and b and (a.state, a.locked, b.state) == ("archived", True, "deleted"))

    await eventually(applied, what="archive, lock and delete applied")
    record = await (
        await double.invoke(guild, world.members[0], "threads", {"view": "recent"})
    ).wait_response()
    assert "🔒" in record.embeds[0]["description"] and f"/{second.id})" not in record.embeds[0]["description"]


async def _tracked(store: Store, *ids: int) -> bool:
    return all([await store.threads.get(i) is not None for i in ids])


async def test_the_weekly_post_lists_the_weeks_threads_and_polls_once(
    runner: ThreadsRunner, world: World, store: Store
) -> None:
    double, guild, forum, general = world.double, world.guild, world.forum, world.general
    await runner.start(tracker_flush_interval=0.05)
    record = await (
        await double.invoke(
            guild, world.mod, "admin threads weekly", {"day": 0, "hour": 9, "channel": general.id}
        )
    ).wait_response()
    slot = next_slot(utcnow(), 0, 9)
    assert "Monday" in record.content and f"<t:{int(slot.timestamp())}:F>" in record.content

    await (
        await double.invoke(guild, world.mod, "admin threads track", {"channel": forum.id})
    ).wait_response()
    busy, _ = await double.create_forum_post(forum, world.members[0], "Open weights debate")
    for member in world.members:
        await double.post_message(busy.id, member, "take")
    await eventually(lambda: _count(store, busy.id, 4), what="4 messages in the busy post")

    spec = build_spec(
        question="Will open models catch up?", answers=["Yes", "No"], duration_hours=24,
        multiple=False, mode=PollMode.NATIVE,
    )  # fmt: skip
    poll, _ = await store.polls.create(
        spec, guild_id=guild.id, channel_id=general.id, nonce="weekly-test-poll", created_at=utcnow(),
        closes_at=utcnow() + timedelta(hours=1),
    )  # fmt: skip
    await store.polls.mark_sent(poll.id, 1234)
    await store.polls.close(
        poll.id,
        closed_at=utcnow(),
        final_counts={a.position: n for a, n in zip(poll.answers, (3, 1), strict=True)},
    )

    cog = runner.cog
    cog.clock = lambda: slot + timedelta(minutes=1)
    assert await cog.check_weekly() == 1
    post = await double.wait_for_message(general.id)
    embed = post.embeds[0]
    assert embed["title"] == "This week's hot discussions"
    assert f"https://discord.com/channels/{guild.id}/{busy.id}" in embed["description"]
    assert "4 messages this week" in embed["description"]
    assert "Will open models catch up?" in embed["description"] and "Yes 75%" in embed["description"]

    assert await cog.check_weekly() == 0  # once a week, even if asked again
    config = (await store.threads.weekly(guild.id))[0]
    assert (config.last_week, config.last_message_id) == (week_key(slot), post.id)
    assert len([m for m in double.messages_in(general) if m.author.id == double.world.bot.id]) == 1


async def _count(store: Store, thread_id: int, n: int) -> bool:
    row = await store.threads.get(thread_id)
    return row is not None and row.message_count == n


async def test_a_refused_weekly_post_is_not_retried_and_moderators_are_told(
    runner: ThreadsRunner, world: World, store: Store
) -> None:
    double, guild, general, staff = world.double, world.guild, world.general, world.staff
    await store.guilds.set_mod_log(guild.id, staff.id)
    await runner.start()
    await (
        await double.invoke(
            guild, world.mod, "admin threads weekly", {"day": 3, "hour": 18, "channel": general.id}
        )
    ).wait_response()
    double.deny_bot(general)
    double.expect_errors(50013)
    await eventually(_bot_denied(runner, general.id), what="the bot to learn of the new overwrite")

    cog = runner.cog
    cog.clock = lambda: next_slot(utcnow(), 3, 18) + timedelta(minutes=5)
    assert await cog.check_weekly() == 0
    alert = await double.wait_for_message(staff.id, lambda m: "was not sent" in m.content)
    assert "weekly hot-discussions post was not sent" in alert.content
    sends = len(double.requests_to(f"POST /channels/{general.id}/messages"))
    assert sends == 1
    assert await cog.check_weekly() == 0
    assert len(double.requests_to(f"POST /channels/{general.id}/messages")) == sends  # no retry loop

    status = await (await double.invoke(guild, world.mod, "admin threads status")).wait_response()
    assert "Last attempt failed" in status.content and "every Thursday at 18:00 UTC" in status.content


def _bot_denied(runner: ThreadsRunner, channel_id: int):
    async def check() -> bool:
        assert runner.bot is not None
        channel = runner.bot.get_channel(channel_id)
        assert isinstance(channel, discord.TextChannel)
        return not channel.permissions_for(channel.guild.me).send_messages

    return check
