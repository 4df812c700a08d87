"""`/threads` lists only what exists and what the bot can open, with tags only on forum posts."""

from __future__ import annotations

import discord

from bot.store import Store
from bot.timeutil import utcnow
from tests.harness import eventually
from tests.threads.conftest import ThreadsRunner, World


async def _listing(world: World) -> str:
    record = await (
        await world.double.invoke(world.guild, world.members[0], "threads", {"view": "recent"})
    ).wait_response()
    return str(record.embeds[0]["description"])


async def test_a_thread_archived_then_deleted_while_the_bot_was_down_leaves_the_list(
    runner: ThreadsRunner, world: World, store: Store
) -> None:
    double, guild, forum = world.double, world.guild, world.forum
    await runner.start()
    await (
        await double.invoke(guild, world.mod, "admin threads track", {"channel": forum.id})
    ).wait_response()
    kept, _ = await double.create_forum_post(forum, world.members[0], "Archived and kept")
    doomed, _ = await double.create_forum_post(forum, world.members[1], "Archived then deleted")
    await eventually(lambda: _tracked(store, kept.id, doomed.id), what="both posts tracked")
    await double.archive_thread(kept)
    await double.archive_thread(doomed)
    await eventually(lambda: _states(store, kept.id, doomed.id, "archived"), what="both archived")
    await runner.stop()

    await double.delete_thread(doomed)  # while the bot is down: it never sees THREAD_DELETE
    double.expect_errors(10003)  # it fetches the archived thread to learn it is gone
    await runner.start()

    async def reconciled() -> bool:
        row = await store.threads.get(doomed.id)
        return row is not None and row.state == "deleted"

    await eventually(reconciled, what="the archived thread found deleted after the restart")
    text = await _listing(world)
    assert f"/{kept.id})" in text and f"/{doomed.id})" not in text
    assert (await store.threads.get(kept.id)).state == "archived"  # type: ignore[union-attr]


async def test_archived_threads_are_checked_in_bounded_paced_rounds(
    runner: ThreadsRunner, world: World, store: Store
) -> None:
    double, guild, forum = world.double, world.guild, world.forum
    bot = await runner.start()
    cog = runner.cog

    async def started_up() -> bool:  # the start-up reconciliation ran (it would race the runs below)
        return cog.reconcile_runs >= 1

    await eventually(started_up, what="the start-up reconciliation")
    ids = []
    for n in range(4):
        await cog.tracker.track_thread(
            9000 + n, guild.id, forum.id, name=f"old {n}", created_at=utcnow(), archived=True
        )
        ids.append(9000 + n)
    double.expect_errors(10003)  # none of them exists any more on Discord

    cog.max_fetches, cog.reconcile_pace = 3, 0.0
    live = bot.get_guild(guild.id)
    assert isinstance(live, discord.Guild)
    before = len(double.requests_to("GET /channels/*"))
    await cog.reconcile_guild(live)
    assert len(double.requests_to("GET /channels/*")) - before == 3  # bounded per run
    await cog.reconcile_guild(live)  # the next run reaches the rest
    states = [(await store.threads.get(i)).state for i in ids]  # type: ignore[union-attr]
    assert states == ["deleted"] * 4


async def test_a_thread_the_bot_can_no_longer_open_is_not_listed(
    runner: ThreadsRunner, world: World, store: Store
) -> None:
    double, guild, general = world.double, world.guild, world.general
    await runner.start()
    await (
        await double.invoke(guild, world.mod, "admin threads track", {"channel": general.id})
    ).wait_response()
    await runner.cog.tracker.track_thread(
        777, guild.id, general.id, name="In general", created_at=utcnow(), item_id=5
    )
    assert "/777)" in await _listing(world)
    double.deny_bot(general, 1 << 10)  # View Channel

    async def hidden() -> bool:
        return "/777)" not in await _listing(world)

    await eventually(hidden, what="the thread the bot cannot open to leave the list")


async def test_episode_threads_in_a_text_channel_show_no_tag_forum_posts_do(
    runner: ThreadsRunner, world: World, store: Store
) -> None:
    double, guild, forum = world.double, world.guild, world.forum
    await runner.start()
    tracker = runner.cog.tracker
    # as the announcer tracks an episode thread it opened on its announcement in a text channel
    await tracker.track_thread(
        555, guild.id, world.episodes.id, name="Episode in text", created_at=utcnow(), item_id=1,
        tags=["podcast"],
    )  # fmt: skip
    await (
        await double.invoke(guild, world.mod, "admin threads track", {"channel": forum.id})
    ).wait_response()
    post, _ = await double.create_forum_post(forum, world.members[0], "Tagged post", ["open-source"])
    await eventually(lambda: _tracked(store, post.id), what="the forum post tracked")
    text = await _listing(world)
    lines = {line.split("](")[1].split(")")[0]: line for line in text.splitlines()}
    text_line = next(v for k, v in lines.items() if k.endswith("/555"))
    forum_line = next(v for k, v in lines.items() if k.endswith(f"/{post.id}"))
    assert "`podcast`" not in text_line
    assert "`open-source`" in forum_line


async def _tracked(store: Store, *ids: int) -> bool:
    return all([await store.threads.get(i) is not None for i in ids])


async def _states(store: Store, a: int, b: int, state: str) -> bool:
    rows = [await store.threads.get(a), await store.threads.get(b)]
    return all(row is not None and row.state == state for row in rows)
